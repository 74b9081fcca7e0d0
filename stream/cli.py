"""The `kpiwatch` command: run, demo, generate, broker, ingest, backtest, config check."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from stream.config.root import Config, ConfigError, check_file, load_config, resolve_config_path
from stream.config.settings import Settings, load_settings
from stream.startup import banner, port_problem, quiet_framework_logs
from stream.version import kpiwatch_version

# plain click help: rich markup ate "[default: …]" and printed <bool> for every flag
app = typer.Typer(
    help="Real-time alerting on customer-service KPIs.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
config_app = typer.Typer(
    help="Work with config files.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(config_app, name="config")
core_app = typer.Typer(
    help="The compiled KPI core (mypyc): build, status, clean.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(core_app, name="core")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kpiwatch {kpiwatch_version()}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_version),
    ] = False,
) -> None:
    """Real-time alerting on customer-service KPIs."""


def _load(path: Path | None) -> tuple[Config, Settings, Path]:
    from stream.config.root import apply_settings

    settings = load_settings()
    file = resolve_config_path(
        str(path) if path else (str(settings.config) if settings.config else None)
    )
    try:
        return apply_settings(load_config(file), settings), settings, file
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


@app.command()
def run(
    config: Annotated[
        Path | None,
        typer.Option(help="Config file.", show_default="$KPIWATCH_CONFIG or config/kpiwatch.yaml"),
    ] = None,
) -> None:
    """Run the worker against the configured Kafka cluster."""
    from stream.app import run_worker
    from stream.kafka.setup import StartupError

    cfg, settings, file = _load(config)
    if (problem := port_problem(cfg.http.host, cfg.http.port)) is not None:
        typer.echo(f"kpiwatch run: {problem} (http.port or KPIWATCH_HTTP_PORT)", err=True)
        raise typer.Exit(1)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    quiet_framework_logs(settings.log_level)
    typer.echo(banner(cfg, Path(file)), err=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        run_worker(
            cfg,
            data_dir=str(settings.data_dir),
            loglevel=settings.log_level.lower(),
            config_path=Path(file),
        )
    except StartupError as exc:
        typer.echo(f"kpiwatch run: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def broker(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 9092,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
) -> None:
    """Run the embedded Kafka-compatible broker (Tansu, memory storage) until Ctrl-C."""
    from stream.dev.broker import BrokerError, EmbeddedBroker

    b = EmbeddedBroker(host=host, port=port)
    try:
        b.start()
    except BrokerError as exc:
        typer.echo(f"kpiwatch broker: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"broker listening on {b.bootstrap} (pid {b.pid}); Ctrl-C stops it")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        b.wait()
    except KeyboardInterrupt:
        pass
    finally:
        b.stop()
        typer.echo("broker stopped")


@app.command()
def generate(
    bootstrap: Annotated[
        str | None,
        typer.Option(help="Kafka bootstrap servers.", show_default="127.0.0.1:9092"),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="Take brokers, topic names and TLS/SASL from this kpiwatch config."),
    ] = None,
    rate: Annotated[float, typer.Option(help="New contacts per second.")] = 2.0,
    duration: Annotated[float, typer.Option(help="Seconds of traffic.")] = 600.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    incident: Annotated[
        bool, typer.Option(help="A billing outage (see --incident-after, --incident-for).")
    ] = False,
    realtime: Annotated[
        bool, typer.Option(help="Pace events in real time; else the last DURATION s at once.")
    ] = True,
    incident_after: Annotated[float, typer.Option(help="Seconds before the incident.")] = 120.0,
    incident_for: Annotated[float, typer.Option(help="Incident length, seconds.")] = 300.0,
    history: Annotated[
        float,
        typer.Option(help="Seconds of past traffic sent at once before real time starts."),
    ] = 0.0,
    ticket_pace: Annotated[
        float, typer.Option(help="Scale of ticket handling times (0.1: ten times faster).")
    ] = 1.0,
) -> None:
    """Produce synthetic contact-centre traffic into Kafka."""
    from stream.dev.generator import TOPICS, GeneratorError, KafkaTarget, check_incident
    from stream.dev.generator import generate as gen

    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # its errors are reported below
    if incident:
        try:
            check_incident(duration, incident_after, incident_for)
        except GeneratorError as exc:
            raise typer.BadParameter(str(exc), param_hint="--incident") from None
    target = KafkaTarget(bootstrap or "127.0.0.1:9092", TOPICS)
    if config is not None:
        from stream.kafka.setup import client_kwargs

        cfg, _, _ = _load(config)
        target = KafkaTarget(
            bootstrap or ",".join(cfg.kafka.bootstrap_servers),
            cfg.kafka.topics.model_dump(),
            client_kwargs(cfg),
        )
    typer.echo(
        f"generate: {rate:g} contacts/s for {duration:g} s to {target.bootstrap}"
        + (
            f", billing incident from {incident_after:g} s for {incident_for:g} s"
            if incident
            else ""
        ),
        err=True,
    )
    try:
        n = asyncio.run(
            gen(
                target=target,
                rate=rate,
                duration=duration,
                seed=seed,
                incident=incident,
                realtime=realtime,
                incident_after=incident_after,
                incident_for=incident_for,
                history=history,
                ticket_pace=ticket_pace,
                progress=lambda sent, done: typer.echo(
                    f"generate: {sent} events, {done:.0f} s of {duration:g} s", err=True
                ),
            )
        )
    except GeneratorError as exc:
        typer.echo(f"kpiwatch generate: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"produced {n} events to {target.bootstrap}")


@core_app.command("build")
def core_build() -> None:
    """Compile the KPI core in place (needs gcc and the `native` extra)."""
    from stream import native

    try:
        native.build()
    except Exception as exc:  # a missing compiler or extra: the pure core still runs
        typer.echo(f"kpiwatch core build failed, the core stays pure Python: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"compiled {len(native.MODULES)} modules into {native.GROUP}__mypyc")


@core_app.command("status")
def core_status() -> None:
    """Say whether this checkout runs the compiled core, and why not if it does not."""
    from stream import native

    typer.echo(f"core: {native.status()}")


@core_app.command("clean")
def core_clean() -> None:
    """Delete the compiled core: the pure Python sources run."""
    from stream import native

    typer.echo(f"deleted {len(native.clean())} compiled files")


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="HTTP port of the worker.")] = 8000,
    rate: Annotated[float, typer.Option(help="New contacts per second.")] = 2.0,
    duration: Annotated[float, typer.Option(help="Seconds to run (0 = until Ctrl-C).")] = 0.0,
) -> None:
    """Broker + traffic with an incident + worker + alert sink, on this machine."""
    from stream.dev.demo import run_demo

    sys.exit(run_demo(http_port=port, rate=rate, duration=duration))


@app.command()
def ingest(
    config: Annotated[Path | None, typer.Option(help="Config file.")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port (default: ingest.port).")] = None,
) -> None:
    """Serve vendor webhooks and kpiwatch events over HTTP into the input topics."""
    from stream.ingest.main import serve
    from stream.kafka.setup import StartupError

    cfg, settings, _ = _load(config)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    if port is not None:
        cfg = cfg.model_copy(update={"ingest": cfg.ingest.model_copy(update={"port": port})})
    try:
        asyncio.run(serve(cfg))
    except StartupError as exc:
        typer.echo(f"kpiwatch ingest: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def backtest(
    start: Annotated[str, typer.Option("--from", help="Start of the period (RFC 3339).")],
    end: Annotated[str, typer.Option("--to", help="End of the period (RFC 3339).")],
    config: Annotated[Path | None, typer.Option(help="Candidate config file.")] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="Running config, compared side by side.")
    ] = None,
    events: Annotated[
        list[Path] | None,
        typer.Option(help="JSON-lines history (plain or .gz); default: the configured topics."),
    ] = None,
    rules: Annotated[str | None, typer.Option(help="Only these rules (comma-separated).")] = None,
    queue: Annotated[str | None, typer.Option(help="Only alerts of this queue.")] = None,
    sweep: Annotated[
        list[str] | None,
        typer.Option(help="RULE.param=LOW:HIGH:STEP (threshold, recovery_threshold, for, ...)."),
    ] = None,
    html: Annotated[Path | None, typer.Option(help="Write a self-contained HTML report.")] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the report as JSON.")
    ] = None,
    flap_window: Annotated[
        str, typer.Option(help="Firing again within this of resolving is a flap.")
    ] = "15m",
    step: Annotated[
        str | None,
        typer.Option(
            help="Evaluate every STEP of event time instead of worker.evaluation_interval "
            "(faster; instants move by up to a step, shorter excursions may be missed)."
        ),
    ] = None,
) -> None:
    """Replay history through the rules of a config: when would each have fired."""
    from stream.backtest.cli import BacktestArgs, run_backtest
    from stream.kafka.history import history_records

    cfg, _, file = _load(config)
    base = _load(baseline)[0] if baseline is not None else None
    args = BacktestArgs(
        start,
        end,
        cfg,
        str(file),
        base,
        str(baseline) if baseline else None,
        events or [],
        rules,
        queue,
        sweep or [],
        html,
        json_out,
        flap_window,
        step,
        history_records,
    )
    raise typer.Exit(run_backtest(args))


@config_app.command("check")
def config_check(file: Annotated[Path, typer.Argument(help="Config file to validate.")]) -> None:
    """Validate a config file; print every problem with its location."""
    issues = check_file(file)
    for line in issues:
        typer.echo(line, err=True)
    if issues:
        typer.echo(f"{file}: {len(issues)} problem(s)", err=True)
        raise typer.Exit(1)
    typer.echo(f"{file}: ok")
    worker = load_config(file).worker
    if not worker.checkpoints:
        typer.echo("checkpoints: off (a restart replays the whole changelog)")
        return
    try:
        data_dir = load_settings().data_dir
    except ConfigError:
        data_dir = Path("$KPIWATCH_DATA_DIR")
    every = worker.checkpoint_interval.total_seconds()
    typer.echo(f"checkpoints: {data_dir / worker.checkpoint_dir} (every {every:g} s or longer)")


def main() -> None:
    """Entry point of the console script."""
    app()
