"""The one line breaker of screen and paper (``kiosk/devices/textwrap_cjk.py``): widths, and the Chinese
line-start and line-end rules (禁则)."""

from __future__ import annotations

from kiosk.devices.textwrap_cjk import line_break_faults, pieces, wrap


def test_latin_words_stay_whole_and_cjk_breaks_between_characters() -> None:
    assert wrap("Please take your ticket", 12) == ["Please take", "your ticket"]
    assert wrap("请取走您的小票吧", 6) == ["请取走", "您的小", "票吧"]
    assert all(len(line) <= 12 for line in wrap("a" * 30, 12))  # a word wider than the line is cut


def test_no_line_starts_with_closing_or_ends_with_opening_punctuation() -> None:
    lines = wrap("请到综合受理窗口，带好身份证。（原件）", 16)
    assert line_break_faults(lines) == [], lines
    assert "".join(lines) == "请到综合受理窗口，带好身份证。（原件）"
    assert pieces("好。（原") == ["好。", "（原"]


def test_a_number_stays_with_its_unit() -> None:
    for text in ("您前面还有 12 人，预计等候 25 分钟", "请到一楼 7-10 号窗口", "您的号码是A003号"):
        for width in range(8, 40):
            lines = wrap(text, width)
            assert line_break_faults(lines) == [], (text, width, lines)
    assert "7-10 号" in pieces("请到 7-10 号窗口")


def test_no_single_character_is_left_on_the_last_line() -> None:
    lines = wrap("请携带身份证原件办理", 18)  # greedy: 9 characters, then 1 alone
    assert lines == ["请携带身份证原件", "办理"]
    assert line_break_faults(["请携带身份证原件办", "理"]) == ["one character alone on the last line: '理'"]


def test_the_faults_are_named() -> None:
    assert line_break_faults(["请到窗口", "，谢谢"]) == ["a line starts with '，': '，谢谢'"]
    assert line_break_faults(["请带好（", "原件）"]) == ["a line ends with '（': '请带好（'"]
    assert line_break_faults(["前面还有 12", "人"])[0] == "a number and its unit are split: '12人'"


def test_a_closing_mark_stays_behind_and_a_widow_brings_its_word_down() -> None:
    lines = wrap("请到综合受理窗口 。下一步", 16)
    assert lines == ["请到综合受理窗", "口 。下一步"]
    lines = wrap("Applications of 张** 1101**********002X: 3", 40)
    assert line_break_faults(lines) == [] and lines[-1] == "1101**********002X: 3", lines
