"""The input rules on the SQL stores: refused imports and calls write nothing, and
normalized text and emails compare as one on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from cpnetwork import Network
from cpnetwork.errors import DuplicateError, ValidationError
from cpnetwork.importers import ImportFileError
from cpnetwork.model import EnrollmentPolicy
from cpnetwork.testing import snapshot


@pytest.fixture
def net(sql_url: str) -> Iterator[Network]:
    with Network.open(sql_url, name="Hostile", load_entrypoints=False) as network:
        yield network


HOSTILE_CSV = {
    "escape sequence": "Email,First name\r\nada@example.org,Ada\r\nbo@example.org,\x1b[2JBo\r\n",
    "look-alike email": "Email\r\nada@example.org\r\nada\u200b@example.org\r\n",
    "nfc and nfd": "Email\r\njos\u00e9@example.org\r\njose\u0301@example.org\r\n",
    "megabyte cell": "Email,First name\r\nada@example.org," + "x" * 2**20 + "\r\n",
    "too many rows": "Email\r\n" + "".join(f"m{n}@example.org\r\n" for n in range(11)),
}


@pytest.mark.parametrize("text", HOSTILE_CSV.values(), ids=HOSTILE_CSV.keys())
def test_a_refused_import_writes_nothing(net: Network, tmp_path: Path, text: str) -> None:
    net.members.add(email="grace@example.org", given_name="Grace")
    path = tmp_path / "members.csv"
    path.write_text(text, encoding="utf-8")
    before = snapshot(net)

    with pytest.raises(ImportFileError):
        net.import_file("members", path, max_records="10")

    assert snapshot(net) == before


def test_one_address_in_two_forms_is_one_member(net: Network) -> None:
    ada = net.members.add(email="jos\u00e9@b\u00fccher.example", given_name="Jose\u0301")
    with pytest.raises(DuplicateError):
        net.members.add(email="JOSE\u0301@xn--bcher-kva.example")
    found = net.members.find_by_email("jose\u0301@B\u00fccher.example")
    assert found == ada
    assert found.given_name == "Jos\u00e9"


def test_absurd_numbers_are_refused_before_the_store(net: Network) -> None:
    before = snapshot(net)
    for capacity in (-1, float("nan"), float("inf"), 2**63):
        with pytest.raises(ValidationError):
            net.programs.create(
                title="Academy", program_year=2024, policy=EnrollmentPolicy(capacity=capacity)
            )
    assert snapshot(net) == before


def test_rows_an_older_version_wrote_stay_readable(tmp_path: Path) -> None:
    """What the store holds passed the rules of its day: a name with a tab, written
    before the rules refused it, is read back as stored; changing it applies them."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with Network.open(url, name="Old", load_entrypoints=False) as network:
        ada = network.members.add(email="ada@example.org", given_name="Ada")
    with sqlite3.connect(tmp_path / "old.db") as connection:
        connection.execute("UPDATE members SET given_name = ? WHERE id = ?", ("A\tda", ada.id))

    with Network.open(url, load_entrypoints=False) as network:
        [member] = network.members.find()
        assert member.given_name == "A\tda"
        with pytest.raises(ValidationError) as caught:
            network.members.update(ada.id, county="19")
        assert caught.value.field == "given_name"
        network.members.update(ada.id, given_name="Ada", county="19")
        assert network.members.get(ada.id).given_name == "Ada"
