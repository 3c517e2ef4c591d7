"""`langnghe run` and `langnghe demo`: the engine's cycle thread plus the web app in one process.

Behind a reverse proxy every connection comes from the proxy's address, so the per-address login
lock (web.auth) would lock every user out at once. The client address is therefore read from
X-Forwarded-For, but only on connections from the addresses or networks named in
`--forwarded-allow-ips` / $LANGNGHE_FORWARDED_ALLOW_IPS (uvicorn's forwarded-allow-ips; default
loopback only, for a proxy on the same machine). From anyone else the header is ignored: a
client cannot choose its own address. docs/deploy.md, "Trusted proxies".
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace

import uvicorn

from alerts.config import AlertConfigError
from assistant.understand import make_catalog
from crawlers.health import source_health
from langnghe.paths import Home
from runner.cli import load_host_map, open_home_store
from runner.effective import load_files
from runner.engine import open_engine
from runner.users_cli import ensure_first_admin
from web.app import create_app, recipients


def web_server(app, host: str, port: int, forwarded_allow_ips: str) -> uvicorn.Server:
    """The uvicorn server of the web app; X-Forwarded-For/-Proto are believed only from
    `forwarded_allow_ips` (comma-separated addresses or networks, e.g. "172.30.0.0/24")."""
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                         proxy_headers=True,
                                         forwarded_allow_ips=forwarded_allow_ips))


def serve(args: argparse.Namespace, demo: bool = False, web_only: bool = False) -> int:
    home = Home.resolve(args.home or (str(Home.resolve().root.parent / "demo") if demo else None))
    registry, host_map, replay = None, None, None  # registry None: the sources file's
    if demo:
        from runner.demo import DemoReplay

        replay = DemoReplay(home, release_every=args.release_every).start()
        registry, host_map = replay.registry, replay.host_map
        print(f"Chế độ demo: máy chủ phát lại dữ liệu minh họa tại {replay.base_url}")
    else:
        host_map = load_host_map(args.host_map)
    files = load_files(getattr(args, "sources", None), args.watch, args.alerts,
                       registry=registry)  # validated: a mistake stops the start
    if demo:
        files = replace(files, discovery_minutes=None)  # the demo is offline
    store = open_home_store(args, home)
    engine = open_engine(home, store, files, interval=getattr(args, "interval", 60),
                         host_map=host_map, workers=getattr(args, "workers", 1))
    alerting, web_db = engine.alerting, home.web_db
    password = ensure_first_admin(web_db)
    if password:
        print(f"Tài khoản quản trị đầu tiên: admin / {password} — mật khẩu dùng một lần: lần "
              "đăng nhập đầu tiên sẽ yêu cầu đặt mật khẩu mới (hoặc từ dòng lệnh: langnghe users "
              "set-password admin)")
    secret = None
    if alerting is None:
        print(f"Cảnh báo: tắt (không có tệp {args.alerts})")
    else:
        try:
            secret = alerting.config.secret()
        except AlertConfigError as exc:
            print(f"Cảnh báo: liên kết xác nhận tắt — {exc}")
    logging.getLogger("scrapy").setLevel(logging.WARNING)
    print(f"Lắng Nghe: {len(files.registry.enabled)} nguồn, dữ liệu tại {home.root}")

    def status() -> dict:
        last = engine.last
        return {"cycles": engine.cycles, "last_cycle": last.line() if last else None}

    if getattr(args, "no_web", False):
        try:
            engine._loop()
        except KeyboardInterrupt:
            return 0
        return 0
    app = create_app(store, web_db=web_db,
                     health=lambda: source_health(home, engine.registry), demo=demo,
                     status=status, alerts_db=home.root / "alerts.sqlite" if alerting else None,
                     alerts_secret=secret,
                     outlet_types={s.id: s.type for s in files.registry.sources},
                     recipients=lambda: recipients(alerting.config) if alerting else [],
                     alerts_config=alerting.base if alerting else None,
                     # Secure cookies are not sent back over plain http: only loopback may skip
                     secure_cookies=args.host not in ("127.0.0.1", "localhost", "::1"))
    # what the assistant's questions name (web/ask.py adds the dashboard's topics per question)
    app.state.assistant_catalog = make_catalog(files.topics, files.registry.sources,
                                               files.province)
    if not web_only:
        engine.start()
    print(f"Giao diện web: http://{args.host}:{args.port}/", flush=True)
    try:
        web_server(app, args.host, args.port, args.forwarded_allow_ips).run()
    finally:
        engine.stop()
        if replay:
            replay.stop()
        store.close()
    sys.stdout.flush()
    return 0
