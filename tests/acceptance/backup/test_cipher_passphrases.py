"""Issue #27, item 7: pgBackRest's cipher passphrases are never rendered into its config
(readable by the postgres user); pgBackRest gets them as PGBACKREST_REPO{1,2}_CIPHER_PASS,
from fixiactl on each command and from supervisord (owner-only config) for archive-push, and
encrypted backups, WAL archiving and `backup list` keep working."""

from __future__ import annotations

import json
import re
import time

from tests.acceptance.backup.conftest import BackupStack


def test_the_config_holds_no_passphrase_and_archiving_still_works(bstack: BackupStack) -> None:
    passes = json.loads((bstack.state / "pgbackrest" / "cipher.json").read_text())
    config = (bstack.state / "pgbackrest" / "pgbackrest.conf").read_text()
    assert "cipher-pass" not in config
    assert not any(value in config for value in passes.values())
    assert "repo1-cipher-type=aes-256-cbc" in config  # still encrypted

    supervisor = bstack.state / "supervisord.conf"
    assert supervisor.stat().st_mode & 0o077 == 0  # owner-only
    postgres = re.search(r"\[program:postgres\](.*?)\n\[", supervisor.read_text(), re.S)
    assert postgres and f'PGBACKREST_REPO1_CIPHER_PASS="{passes["1"]}"' in postgres.group(1)

    # pgBackRest can read the repositories with the variables alone (fixiactl sets them).
    info = bstack.ctl_json("backup", "list")
    assert info, "no backup listed"
    # And PostgreSQL's own archive-push, which has only supervisord's variables, archives.
    # Counted from here: earlier scenarios on this shared stack may have failed an archive
    # on purpose (a repository made unavailable), and PostgreSQL remembers the last one.
    before = bstack.sql("select archived_count || ' ' || failed_count from pg_stat_archiver")
    archived, failed = (int(n) for n in before.split())
    bstack.sql("select pg_switch_wal()")
    bstack.sql("create table if not exists cipher_probe(x int)")
    bstack.sql("select pg_switch_wal()")
    for _ in range(60):  # bounded: 30 s
        if int(bstack.sql("select archived_count from pg_stat_archiver")) > archived:
            break
        time.sleep(0.5)
    assert int(bstack.sql("select archived_count from pg_stat_archiver")) > archived
    assert int(bstack.sql("select failed_count from pg_stat_archiver")) == failed
