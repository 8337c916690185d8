from subnetlab.analysis.token_display import visible_text, visible_token


def test_whitespace_and_control_characters_become_visible() -> None:
    assert visible_text("a\nb\tc\rd e") == "a↵b⇥c␍d e"
    assert visible_text("\x00\x7f\u200b\u2028é") == "\\x00\\x7f\\u200b\\u2028é"


def test_a_token_on_its_own_shows_its_spaces_and_emptiness() -> None:
    assert visible_token(" the") == "␣the"
    assert visible_token("  \n") == "␣␣↵"
    assert visible_token("") == "∅"
