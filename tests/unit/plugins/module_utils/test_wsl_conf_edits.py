"""plugins/module_utils/wsl_conf.py: /etc/wsl.conf read as WSL reads it, and the role's [boot] edits."""

from __future__ import annotations

import pytest

from ansible_collections.wsl.cuda.plugins.module_utils import wsl_conf

OURS = "/usr/local/sbin/wsl-cuda-dockerd start"
USER = '[automount]\noptions = "metadata"\n\n# the network\n[network]\ngenerateResolvConf = true\n'


@pytest.mark.parametrize("text, command", [
    ('[boot]\ncommand = "a b"\n', "a b"),
    ("[boot]\ncommand=a b   \n", "a b"),
    ('[Boot]\nCommand = " spaced "  # comment\n', " spaced "),
    ('[boot]\ncommand = "x # not a comment"\n', "x # not a comment"),
    ('[boot]\ncommand = say \\"hi\\"\n', 'say "hi"'),
    ("[boot]\ncommand = first \\\n  second\n", "first   second"),
    ("[boot]\r\ncommand = crlf\r\n", "crlf"),
    # the first occurrence counts, also across a repeated section
    ("[boot]\ncommand = one\n[network]\nx = 1\n[boot]\ncommand = two\n", "one"),
    # lines WSL skips: an unclosed quote, a bad escape, a '; comment', a key before any section, [ boot ]
    ('[boot]\ncommand = "open\ncommand = after\n', "after"),
    ("[boot]\ncommand = bad \\q\n", None),
    ("; command = x\n[boot]\n; command = y\n", None),
    ("command = x\n", None),
    ("[ boot ]\ncommand = x\n", None),
    ("[network]\ncommand = x\n", None),
    # an invalid header keeps the section it is in
    ("[boot]\n[ network ]\ncommand = x\n", "x"),
])
def test_read_as_wsl_does(text, command):
    assert wsl_conf.read(text)["command"] == command


def test_present_appends_a_boot_section_and_keeps_everything_else():
    text, messages = wsl_conf.edit(USER, command=OURS, command_state="present")
    assert text == USER + '\n[boot]\ncommand = "%s"\n' % OURS
    assert messages == ['added [boot] command = "%s"' % OURS]
    assert wsl_conf.edit(text, command=OURS, command_state="present") == (text, [])


def test_present_on_an_empty_file_and_without_a_final_newline():
    assert wsl_conf.edit("", command=OURS, command_state="present")[0] == '[boot]\ncommand = "%s"\n' % OURS
    assert wsl_conf.edit("[network]\nx = 1", command=OURS, command_state="present")[0] == (
        '[network]\nx = 1\n\n[boot]\ncommand = "%s"\n' % OURS)


def test_present_goes_right_after_the_first_boot_header():
    before = "[Boot]\nsystemd = false\n[user]\ndefault = me\n"
    after, _messages = wsl_conf.edit(before, command=OURS, command_state="present")
    assert after == '[Boot]\ncommand = "%s"\nsystemd = false\n[user]\ndefault = me\n' % OURS


@pytest.mark.parametrize("theirs, chained", [
    ("service cron start", 'service cron start; %s' % OURS),
    ('"mount -a; echo ok"', 'mount -a; echo ok; %s' % OURS),
    ("service cron start;", "service cron start; %s" % OURS),
    ("sleep 1 &", "sleep 1 & %s" % OURS),
    ('say \\"hi\\"', 'say "hi"; %s' % OURS),
])
def test_present_chains_ours_after_the_users_command(theirs, chained):
    before = "[boot]\ncommand = %s  # mine\n" % theirs
    after, messages = wsl_conf.edit(before, command=OURS, command_state="present")
    assert after == "[boot]\ncommand = %s  # mine\n" % wsl_conf.quote(chained)
    assert wsl_conf.read(after)["command"] == chained
    assert messages == ["chained %s after the [boot] command already there" % OURS]
    assert wsl_conf.edit(after, command=OURS, command_state="present") == (after, [])


def test_present_keeps_ours_inside_a_users_chain_and_fills_an_empty_command():
    inside = '[boot]\ncommand = "%s && touch /tmp/up"\n' % OURS
    assert wsl_conf.edit(inside, command=OURS, command_state="present") == (inside, [])
    after, _messages = wsl_conf.edit('[boot]\ncommand = ""\n', command=OURS, command_state="present")
    assert after == '[boot]\ncommand = "%s"\n' % OURS


def test_present_rewrites_a_continued_value_whole():
    before = "[boot]\ncommand = a \\\n  b\n[user]\ndefault = me\n"
    after, _messages = wsl_conf.edit(before, command=OURS, command_state="present")
    assert after == '[boot]\ncommand = "a   b; %s"\n[user]\ndefault = me\n' % OURS


@pytest.mark.parametrize("before, after", [
    ('[boot]\ncommand = "%s"\n' % OURS, "[boot]\n"),
    ("[boot]\ncommand=%s\nsystemd=true\n" % OURS, "[boot]\nsystemd=true\n"),
    ('[boot]\ncommand = "service cron start; %s"\n' % OURS, '[boot]\ncommand = "service cron start"\n'),
    ('[boot]\ncommand = "%s; service cron start"\n' % OURS, '[boot]\ncommand = "service cron start"\n'),
    ('[boot]\ncommand = "a; %s; b"  # c\n' % OURS, '[boot]\ncommand = "a; b"  # c\n'),
    # every occurrence, also the ones WSL would not read
    ('[boot]\ncommand = "a; %s"\n[boot]\ncommand = %s\n' % (OURS, OURS), '[boot]\ncommand = "a"\n[boot]\n'),
])
def test_absent_takes_ours_out_and_keeps_the_rest(before, after):
    text, messages = wsl_conf.edit(before, command=OURS, command_state="absent")
    assert text == after
    assert messages
    assert wsl_conf.edit(text, command=OURS, command_state="absent") == (text, [])


@pytest.mark.parametrize("text", [
    "", USER, "[boot]\ncommand = service cron start\n", '[boot]\ncommand = "%s && x"\n' % OURS,
    "[network]\ncommand = %s\n" % OURS, "# command = %s\n" % OURS,
])
def test_absent_leaves_what_is_not_ours(text):
    assert wsl_conf.edit(text, command=OURS, command_state="absent") == (text, [])


@pytest.mark.parametrize("before, after", [
    (USER, USER + "\n[boot]\nsystemd = true\n"),
    ("[boot]\nsystemd = false # off\n", "[boot]\nsystemd = true # off\n"),
    ("[boot]\nSystemd=no\n", "[boot]\nSystemd=true\n"),
    ("[boot]\ncommand = x\n", "[boot]\nsystemd = true\ncommand = x\n"),
])
def test_systemd_on(before, after):
    text, messages = wsl_conf.edit(before, systemd=True)
    assert text == after
    assert messages
    assert wsl_conf.read(text)["systemd"] == "true"


@pytest.mark.parametrize("text", ["[boot]\nsystemd = true\n", "[BOOT]\nSYSTEMD = True\n", '[boot]\nsystemd="1"\n'])
def test_systemd_already_on(text):
    assert wsl_conf.edit(text, systemd=True) == (text, [])


def test_systemd_and_absent_in_one_edit_on_a_new_file():
    text, messages = wsl_conf.edit("", command=OURS, command_state="absent", systemd=True)
    assert text == "[boot]\nsystemd = true\n"
    assert messages == ["added [boot] systemd = true"]


def test_systemd_and_absent_together_on_a_chain():
    before = '[boot]\ncommand = "mount -a; %s"\n' % OURS
    text, messages = wsl_conf.edit(before, command=OURS, command_state="absent", systemd=True)
    assert text == '[boot]\nsystemd = true\ncommand = "mount -a"\n'
    assert len(messages) == 2


def test_crlf_files_keep_their_line_ends():
    before = "[network]\r\nx = 1\r\n"
    text, _messages = wsl_conf.edit(before, command=OURS, command_state="present")
    assert text == '[network]\r\nx = 1\r\n\r\n[boot]\r\ncommand = "%s"\r\n' % OURS


@pytest.mark.parametrize("value", ["plain", 'with "quotes"', "back\\slash", "tab\there", "new\nline", " spaces "])
def test_quote_round_trips(value):
    assert wsl_conf.read("[boot]\ncommand = %s\n" % wsl_conf.quote(value))["command"] == value
