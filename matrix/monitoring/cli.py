"""`matrix monitoring prometheus-config`: the scrape config for this installation's Ray cluster."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matrix.config import Settings


def cmd_prometheus_config(args: argparse.Namespace, settings: Settings) -> int:
    from jobs.common import ray_temp_dir
    from matrix.monitoring.config import render_prometheus_config

    sd_file = ray_temp_dir(settings) / "prom_metrics_service_discovery.json"
    metrics_port = settings.logging.metrics_port or 9464
    text = render_prometheus_config(sd_file, pushgateway=args.pushgateway, alertmanager=args.alertmanager,
                                    metrics_process=f"127.0.0.1:{metrics_port}")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"wrote {args.out} (Ray service discovery: {sd_file})")
    else:
        print(text, end="")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("monitoring", help="Prometheus configuration for this installation")
    sub = p.add_subparsers(dest="monitoring_command", required=True)
    c = sub.add_parser("prometheus-config", help="print (or --out) a scrape config for this Ray cluster")
    c.add_argument("--out", help="write here instead of stdout")
    c.add_argument("--pushgateway", default="127.0.0.1:9091", help="host:port of the Pushgateway")
    c.add_argument("--alertmanager", default="127.0.0.1:9093", help="host:port of Alertmanager")
    c.set_defaults(handler=cmd_prometheus_config)
