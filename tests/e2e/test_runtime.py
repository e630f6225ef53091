"""The bot on a real Synapse: help, errors, encryption, restarts."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import tarfile

from tests.e2e.test_bilan import wait_event


async def test_aide_is_answered_as_a_notice_reply(world, users, room):
    prof = await users("prof1")
    command = await prof.say(room, "!aide")
    reply = await prof.wait_reply(command)
    assert reply.sender == world.bot_account.user_id
    assert reply.content["msgtype"] == "m.notice"
    assert "Commandes du collège" in reply.body
    assert "<code>!aide [commande]</code>" in reply.html
    assert reply.content["m.mentions"] == {"user_ids": []}
    # In the encrypted room the reply travelled as m.room.encrypted and was decrypted here.
    assert reply.was_encrypted is (room == world.encrypted_room)


async def test_referent_and_teacher_get_different_help(world, users):
    prof, referent = await users("prof1"), await users("referent")
    teacher_help = await prof.ask(world.encrypted_room, "!aide")
    referent_help = await referent.ask(world.encrypted_room, "!aide")
    assert "!statut" not in teacher_help.body
    assert "!statut" in referent_help.body


async def test_unknown_command_gets_the_nearest_one(world, users, room):
    prof = await users("prof2")
    reply = await prof.ask(room, "!aidee")
    assert "Je ne connais pas la commande `!aidee`" in reply.body
    assert "Vouliez-vous dire `!aide` ?" in reply.body


async def test_command_of_another_role_is_refused_in_french(world, users):
    prof = await users("prof1")
    reply = await prof.ask(world.plain_room, "!statut")
    assert "`!statut` est réservée aux référents numériques et à la direction" in reply.body


async def test_accents_and_case_do_not_matter(world, users):
    prof = await users("prof2")
    reply = await prof.ask(world.plain_room, "!AIDE statut")
    assert "Je ne connais pas la commande « statut »" in reply.body


async def test_command_sent_while_stopped_is_answered_once_after_restart(world, users):
    prof = await users("prof1")
    earlier = await prof.ask(world.encrypted_room, "!aide")
    credentials = world.workdir / "data" / "store" / "credentials.json"
    device_before = json.loads(credentials.read_text())["device_id"]
    devices_before = bot_devices(world)

    world.bot.stop()
    while_down = await prof.say(world.encrypted_room, "!aide aide")
    world.bot.start()

    reply = await prof.wait_reply(while_down)
    assert "Affiche les commandes" in reply.body
    # A later command is answered after any replay would have been: then count.
    await prof.ask(world.encrypted_room, "!aide")
    assert len(prof.replies_to(while_down)) == 1
    assert len(prof.replies_to(earlier.event_id)) == 0  # not answered again
    # Same device after restart: no new login.
    assert json.loads(credentials.read_text())["device_id"] == device_before
    assert f"reusing device {device_before}" in world.bot.log_text()
    assert world.bot.log_text().count("with new device") == 1
    assert bot_devices(world) == devices_before
    assert device_before in devices_before


async def test_after_a_restart_replies_and_direct_messages_stay_encrypted(world, users):
    """A restart skips the full-state sync: rooms must still be known as encrypted."""
    name = world.newcomer()
    teacher = await users(name)
    room = world.encrypted_room
    await teacher.ask(room, "!panne le vidéoprojecteur de la salle 3 ne s'allume plus")
    await teacher.ask(room, "!mes-donnees")
    title = "Vos données dans rupn-bot"
    served = {world.plain_room, world.encrypted_room}
    dm, _ = await wait_event(
        teacher, lambda r, e: r not in served and title in getattr(e, "body", "")
    )

    world.bot.stop()
    world.bot.start()
    teacher.events.clear()

    reply = await teacher.ask(room, "!aide")
    assert reply.was_encrypted
    await teacher.ask(room, "!mes-donnees")
    again, summary = await wait_event(teacher, lambda r, e: title in getattr(e, "body", ""))
    assert again == dm  # the same direct room, known again after the restart
    assert getattr(summary, "decrypted", False)


def bot_devices(world) -> set[str]:
    token = world.bot_account.access_token  # the registration's own device, not the bot's
    reply = world.synapse.api("GET", "/_matrix/client/v3/devices", token=token)
    return {d["device_id"] for d in reply["devices"]}


def test_credentials_are_private_and_logs_hold_no_secret(world):
    credentials = world.workdir / "data" / "store" / "credentials.json"
    assert stat.S_IMODE(os.stat(credentials).st_mode) == 0o600
    token = json.loads(credentials.read_text())["access_token"]
    log = world.bot.log_text()
    assert token not in log
    assert world.bot_account.password not in log


def test_check_reports_the_rooms(world):
    # No password given: check never logs in, it uses the stored device's token.
    env = {k: v for k, v in os.environ.items() if k != "RUPN_TEST_BOT_PASSWORD"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check", "--config", str(world.bot.config_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "clg-clair" in result.stdout and "clg-chiffre" in result.stdout
    assert "NOT joined" not in result.stdout


def test_backup_while_the_bot_runs(world, tmp_path):
    target = tmp_path / "sauvegarde.tar.gz"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "backup",
            "--config",
            str(world.bot.config_path),
            "--to",
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert world.bot.process.poll() is None
    with tarfile.open(target) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
        (tmp_path / "copie.db").write_bytes(archive.extractfile("rupn.db").read())
    assert manifest["format"] == 1 and manifest["schema_version"] > 0
    with sqlite3.connect(tmp_path / "copie.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM establishments").fetchone()[0] == len(
            world.served_rooms
        )


async def test_only_a_recognised_command_makes_someone_a_known_member(world, users):
    account = world.synapse.register("prof-discret")
    world.synapse.bring_in(world.people["referent"], account, world.plain_room)
    world.people["prof-discret"] = account
    referent, newcomer = await users("referent"), await users("prof-discret")

    def known(status) -> int:
        return int(status.body.rsplit("Personnes que je connais : ", 1)[1].split()[0])

    before = known(await referent.ask(world.plain_room, "!statut"))
    await newcomer.ask(world.plain_room, "!Bonjour")  # not a command: answered, not recorded
    assert known(await referent.ask(world.plain_room, "!statut")) == before
    await newcomer.ask(world.plain_room, "!aide")
    assert known(await referent.ask(world.plain_room, "!statut")) == before + 1
