"""Editorial posts' excerpts: Markdown read as plain text."""

from tickerpulse.platform.posts import plain_text


def test_markdown_excerpts_read_as_plain_text() -> None:
    markdown = "## Why **BTC** rallied\n*Funding* turned, see [the chart](https://x.example) and `fee_rate`"
    assert plain_text(markdown) == "Why BTC rallied Funding turned, see the chart and fee_rate"
    assert plain_text("snake_case_name and ***both***") == "snake_case_name and both"
