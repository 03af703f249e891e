"""The dashboard's configuration import with generated damaged files: a page that says what is
wrong and changes nothing, or a whole import — never an error page."""

from __future__ import annotations

import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.store import PolicyStore
from tests.dashboard.conftest import csrf_token, page_text
from tests.policy.test_fuzz_config_io import damage

#: The household's export as the first example saw it. An import that succeeds changes what
#: a later export holds, and hypothesis must draw from the same shape on every replay.
_FIRST_EXPORT: list[str] = []


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), raw=st.booleans())
def test_a_damaged_upload_is_explained_or_imported_whole(client, parent, data_dir, data, raw):
    if not _FIRST_EXPORT:
        _FIRST_EXPORT.append(client.get("/settings/export").get_data(as_text=True))
    document = _FIRST_EXPORT[0]
    if raw:
        content = data.draw(st.binary(max_size=200))
    else:
        content = json.dumps(damage(json.loads(document), data.draw)).encode()
    store = PolicyStore(data_dir.policy_db)
    version = store.version()
    store.close()
    token = csrf_token(page_text(client.get("/settings/")))
    response = client.post(
        "/settings/import",
        data={"csrf_token": token, "file": (io.BytesIO(content), "backup.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 302)
    store = PolicyStore(data_dir.policy_db)
    try:
        if response.status_code == 200:
            assert 'id="file-error"' in page_text(response)
            assert store.version() == version
        else:
            assert store.version() > version
    finally:
        store.close()
