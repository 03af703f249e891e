"""Category lists: read list files of every format, fetch them, bundle the defaults, and compile
them into the one domain index the proxy looks hosts up in.

- ``formats`` (``parse_path``, ``detect_format``), with ``lineformats`` (hosts, domains,
  AdBlock, e2guardian), ``ut1`` (UT1/squidGuard trees) and ``parsed`` (``ParsedList``, the
  shared reading and checking of lines);
- ``hosts``: host name normalisation and the public suffix list;
- ``fetch``: bring a list in from a path, an archive or a URL, safely;
- ``bundle``: the default lists shipped in ``classifier/data/lists``
  (``python -m classifier.lists.bundle``);
- ``index``: the compiled, memory-mapped domain index;
- ``hotline``: hashed lists of illegal content from child-protection hotlines;
- ``phrases``: e2guardian / DansGuardian weighted phrase lists.
"""
