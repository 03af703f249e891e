"""Chat watch: what it costs the proxy per WebSocket message, how fast messages are scored,
and how many alerts ordinary chat raises.

1. ``proxy``: two real ``hearthguard run`` processes on loopback (chat watch on / off), one
   child device exchanging WebSocket messages with a local echo server through each; the
   proxy process's CPU time (user + system, all threads, from /proc) per message, and the
   ratio on/off. Bounded: ``--messages`` round trips per run.
2. ``score``: messages per second through the worker's whole path (extraction, chat model,
   rules, grooming windows) on real chat lines, in this process.
3. ``alerts``: false alerts per 1,000 ordinary messages (per message, before deduplication,
   which would hide repeats) on benign lines of real chat corpora read at run time from
   ``../shared/data`` (Dota 2 game chat: evaluation only; cyberbullying tweets labelled
   not_cyberbullying), and the share of abusive lines flagged.

    .venv/bin/python benchmarks/chatwatch_bench.py [--messages 3000] [--only proxy|score|alerts]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "text"
sys.path.append(str(REPO))  # PYTHONPATH may point at another classifier build

from classifier.models.loading import load_models  # noqa: E402
from policy.alerts import AlertRules, ChatMessage, ChatSafety, message_kinds  # noqa: E402
from policy.alerts_capture import from_websocket  # noqa: E402

CHILD = "127.0.0.2"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def conda_lines(limit: int = 20_000) -> list[tuple[str, int, bool]]:
    """(utterance, conversation id, toxic) from the Dota 2 chat validation split."""
    path = DATA / "conda_dota2_game_chat" / "CONDA_valid.csv"
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            out.append((row["utterance"], int(row["conversationId"]), row["intentClass"] in "EI"))
            if len(out) >= limit:
                break
    return out


def tweets_not_bullying(limit: int = 5000) -> list[str]:
    path = DATA / "cyberbullying" / "cyberbullying_tweets_first19775_i02chmoc.csv"
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["cyberbullying_type"] == "not_cyberbullying":
                out.append(row["tweet_text"])
                if len(out) >= limit:
                    break
    return out


# ------------------------------------------------------------------------------- scoring


def bench_score(model) -> None:
    lines = [text for text, _c, _t in conda_lines(5000)]
    frames = [json.dumps({"from": "p", "text": t}) for t in lines]
    safety = ChatSafety()
    threshold = model.threshold if model is not None else 0.5
    started = time.process_time()
    for start in range(0, len(frames), 64):
        batch = []
        for frame in frames[start : start + 64]:
            captured = from_websocket("chat.example", frame)
            if captured:
                batch += [
                    ChatMessage(
                        T0, CHILD, "Tablet", "Anna", "chat.example", captured.peer, False, t
                    )
                    for t in captured.texts
                ]
        scores = (
            model.predict_proba([m.text for m in batch])
            if model is not None
            else [0.0] * len(batch)
        )
        for message, score in zip(batch, scores, strict=True):
            safety.assess(message, float(score), threshold, "excerpt")
    spent = time.process_time() - started
    print(
        f"score: {len(frames)} messages in {spent:.2f} s CPU = {len(frames) / spent:,.0f} "
        f"messages/s on one core (chat model {'on' if model is not None else 'UNAVAILABLE'})"
    )


def bench_hook(count: int = 20_000) -> None:
    """CPU of the event-loop side alone: ``ChatWatch.websocket_message`` per frame."""
    from mitmproxy import websocket
    from mitmproxy.test import tflow
    from wsproto.frame_protocol import Opcode

    from policy.snapshot import Snapshot
    from policy.values import Profile
    from proxy_addons.chatwatch import ChatWatch
    from proxy_addons.state import ProxyState

    profile = Profile("Anna", "child", frozenset())
    state = ProxyState(snapshot=Snapshot(1, {"Anna": profile}, "Anna"))
    watch = ChatWatch(state)
    flow = tflow.twebsocketflow(messages=False)
    flow.client_conn.peername = (CHILD, 50000)
    lines = [json.dumps({"from": "p", "text": t}) for t, _c, _x in conda_lines(1000)]
    started = time.process_time()
    for i in range(count):
        flow.websocket.messages.append(
            websocket.WebSocketMessage(Opcode.TEXT, bool(i % 2), lines[i % len(lines)].encode())
        )
        watch.websocket_message(flow)
        if len(watch._queue) >= 1000:
            watch._take()
        if len(flow.websocket.messages) > 100:
            del flow.websocket.messages[:50]
    spent = time.process_time() - started
    print(f"hook: {spent / count * 1e6:.1f} µs CPU per frame on the event loop (copy and queue)")


# -------------------------------------------------------------------------------- alerts


def bench_alerts(model) -> None:
    threshold = model.threshold if model is not None else 0.5
    conda = conda_lines()
    sets = {
        "Dota 2 chat, non-toxic lines": [t for t, _c, toxic in conda if not toxic],
        "tweets labelled not_cyberbullying": tweets_not_bullying(),
    }
    for name, texts in sets.items():
        scores = model.predict_proba(texts) if model is not None else [0.0] * len(texts)
        flagged = 0
        for text, score in zip(texts, scores, strict=True):
            message = ChatMessage(T0, CHILD, "Tablet", "Anna", "c", "p", False, text)
            flagged += bool(message_kinds(message, float(score), threshold))
        print(
            f"alerts: {name}: {1000 * flagged / len(texts):.1f} false flags per 1,000 "
            f"messages ({flagged}/{len(texts)}, per message, before deduplication)"
        )
    # what a parent would see: each Dota 2 conversation's ordinary lines, deduplicated
    benign = [(t, c) for t, c, toxic in conda if not toxic]
    scores = (
        model.predict_proba([t for t, _c in benign]) if model is not None else [0.0] * len(benign)
    )
    safety = ChatSafety()
    raised = 0
    for i, ((text, conversation), score) in enumerate(zip(benign, scores, strict=True)):
        message = ChatMessage(  # one device per conversation: no device's hourly limit bites
            T0 + timedelta(seconds=i), CHILD, f"d{conversation}", "A", "c", "p", False, text
        )
        raised += len(safety.assess(message, float(score), threshold, "excerpt"))
    print(
        f"alerts: Dota 2 chat, non-toxic lines as conversations: {1000 * raised / len(benign):.1f} "
        f"alerts per 1,000 messages after deduplication ({raised}/{len(benign)})"
    )
    toxic = [t for t, _c, is_toxic in conda if is_toxic]
    scores = model.predict_proba(toxic) if model is not None else [0.0] * len(toxic)
    hit = sum(
        bool(
            message_kinds(ChatMessage(T0, CHILD, "T", "A", "c", "p", False, t), float(s), threshold)
        )
        for t, s in zip(toxic, scores, strict=True)
    )
    print(f"alerts: Dota 2 chat, toxic lines flagged: {hit / len(toxic):.1%} ({hit}/{len(toxic)})")
    # grooming on ordinary conversations: each Dota 2 conversation is one window
    by_conversation: dict[int, list[str]] = defaultdict(list)
    for text, conversation, _t in conda:
        by_conversation[conversation].append(text)
    raised = 0
    for conversation, texts in by_conversation.items():
        safety = ChatSafety(AlertRules(per_device_hour=10_000))
        for i, text in enumerate(texts):
            message = ChatMessage(
                T0 + timedelta(seconds=i), CHILD, "T", "A", "c", str(conversation), False, text
            )
            if any(a.kind == "grooming_signs" for a in safety.assess(message, 0.0, 1.1, "excerpt")):
                raised += 1
                break
    print(
        f"alerts: grooming signal on {len(by_conversation)} ordinary Dota 2 conversations: "
        f"{raised} raised ({1000 * raised / len(by_conversation):.1f} per 1,000 conversations)"
    )


# --------------------------------------------------------------------------------- proxy


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("hearthguard run exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("hearthguard run did not start")


def _one_run(data_root: Path, watch: bool, ws_port: int, messages: int) -> tuple[float, float]:
    from websockets.sync.client import connect

    port = _free_port()
    script = REPO / "tests" / "support" / "route_test_hosts.py"
    env = {**os.environ, "HG_TEST_ORIGIN_PORT": str(ws_port), "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable, "-m", "hearthguard", "run", "--data-dir", str(data_root),
        "--listen-host", "127.0.0.1", "--proxy-port", str(port), "--dashboard-port", "0",
        "--set", f"scripts={script}", "--set", f"hearthguard_chat_watch={str(watch).lower()}",
    ]  # fmt: skip
    with open(data_root / f"bench-{watch}.log", "wb") as log:
        # run from the data directory, so that PYTHONPATH (if set) decides which build of
        # the classifier package the proxy loads, as it does for this process
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=data_root, env=env
        )
    try:
        _wait_port(port, process)
        raw = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(CHILD, 0))
        raw.sendall(b"CONNECT chat.test:80 HTTP/1.1\r\nHost: chat.test:80\r\n\r\n")
        assert raw.recv(4096).startswith(b"HTTP/1.1 200")
        texts = [t for t, _c, _x in conda_lines(messages)]
        with connect("ws://chat.test/ws", sock=raw, open_timeout=10) as ws:
            for text in texts[:200]:  # warm up
                ws.send(json.dumps({"from": "me", "text": text}))
                ws.recv(timeout=10)
            time.sleep(1.0)
            before, started = _cpu_seconds(process.pid), time.monotonic()
            for text in texts:
                ws.send(json.dumps({"from": "me", "text": text}))
                ws.recv(timeout=10)
            time.sleep(1.5)  # let the worker finish the last batch
            spent = _cpu_seconds(process.pid) - before
            wall = time.monotonic() - started
        return spent / (2 * len(texts)), wall
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def bench_proxy(messages: int, rounds: int = 3) -> None:
    from websockets.sync.server import serve

    def echo(connection) -> None:
        # a friend's reply, not an echo: a different text, so nothing is cached
        for message in connection:
            text = json.loads(message)["text"]
            connection.send(json.dumps({"from": "friend", "text": f"re: {text} ok"}))

    work = Path(tempfile.mkdtemp(prefix="hg-chat-bench-"))
    try:
        subprocess.run(
            [sys.executable, "-m", "hearthguard", "init", "--data-dir", str(work)],
            check=True, capture_output=True, cwd=REPO,
        )  # fmt: skip
        from policy.store import PolicyStore

        store = PolicyStore(work / "policy.db")
        store.add_profile("Anna", "child")
        store.add_device("Tablet", profile="Anna", ip=CHILD)
        store.close()
        with serve(echo, "127.0.0.1", 0) as server:
            threading.Thread(target=server.serve_forever, daemon=True).start()
            ws_port = server.socket.getsockname()[1]
            runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
            for _ in range(rounds):  # alternate, so a change in the machine's load hits both
                for watch in (False, True):
                    runs[watch].append(_one_run(work, watch, ws_port, messages))
            server.shutdown()
        off = statistics.median(cpu for cpu, _wall in runs[False])
        on = statistics.median(cpu for cpu, _wall in runs[True])
        wall_off = statistics.median(wall for _cpu, wall in runs[False])
        wall_on = statistics.median(wall for _cpu, wall in runs[True])
        print(
            f"proxy: CPU per WebSocket message (frame), {2 * messages} frames of Dota 2 chat "
            f"lines, median of {rounds} alternating runs: chat watch off {off * 1e6:.0f} µs, "
            f"on {on * 1e6:.0f} µs; added {(on - off) * 1e6:.0f} µs = {on / off:.2f}x the proxy "
            f"without chat watch (wall time {wall_off:.1f} s vs {wall_on:.1f} s for "
            f"{messages} round trips); each run: "
            + ", ".join(f"{c * 1e6:.0f}" for c, _w in runs[False])
            + " (off) / "
            + ", ".join(f"{c * 1e6:.0f}" for c, _w in runs[True])
            + " (on) µs"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--only", choices=("proxy", "score", "alerts"))
    args = parser.parse_args()
    if not 100 <= args.messages <= 20_000:
        print("--messages must be between 100 and 20000", file=sys.stderr)
        return 2
    loaded = load_models(names=("chat",))
    model = loaded.chat
    if model is None:
        print(f"chat model unavailable: {loaded.errors.get('chat')}; rules only", file=sys.stderr)
    if args.only in (None, "score"):
        bench_hook()
        bench_score(model)
    if args.only in (None, "alerts"):
        bench_alerts(model)
    if args.only in (None, "proxy"):
        bench_proxy(args.messages)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
