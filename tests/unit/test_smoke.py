from pathlib import Path

import pytest

from cpnetwork import Network


def test_open_memory_network_has_its_profile(network: Network) -> None:
    assert network.profile.name == "Test Network"
    assert network.profile.timezone == "America/Los_Angeles"


def test_without_a_url_the_network_is_an_sqlite_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with Network.open(load_entrypoints=False) as net:
        net.members.add(email="first@example.org")
    assert (tmp_path / "cpnetwork.db").exists()
    with Network.open("sqlite:///cpnetwork.db", load_entrypoints=False) as again:
        assert again.members.find_by_email("first@example.org") is not None


def test_export_and_import_report_progress_per_kind(network: Network) -> None:
    network.members.add(email="a@example.org")
    steps: list[tuple[str, int, int]] = []
    data = network.export_data(progress=lambda *step: steps.append(step))
    kinds = len(data)
    assert [done for _, done, _ in steps] == list(range(1, kinds + 1))
    assert {total for _, _, total in steps} == {kinds}
    loaded: list[str] = []
    with Network.open("memory://", load_entrypoints=False) as other:
        assert other.import_data(data, progress=lambda kind, *_: loaded.append(kind)) == 2
    assert loaded == [kind for kind, _, _ in steps]


def test_the_core_import_stays_light() -> None:
    """Mail, webhooks, calendar feeds, charts and the command line load when used."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from cpnetwork import Network\n"
        "net = Network.open('memory://', name='x', load_entrypoints=False)\n"
        "net.enrollment.register(net.programs.create(title='A').id,"
        " net.members.add(email='a@example.org').id)\n"
        "heavy = ('jinja2', 'httpx', 'matplotlib', 'rich', 'click')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert run.stdout.strip() == "[]", run.stdout + run.stderr
