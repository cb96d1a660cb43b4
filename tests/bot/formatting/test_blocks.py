"""Blocks in an answer: code fences, headings, lists, rules, quotes and tables."""

from bot.formatting.blocks import PRE_TABLE_WIDTH
from tests.bot.formatting.reading import html_of, plain_of

RULE = "———"

# --- code -------------------------------------------------------------------------------------


def test_fenced_code_block_gets_its_language():
    html = html_of("```python\nif a < b:\n    print('&')\n```")

    assert html == (
        "<pre><code class=\"language-python\">if a &lt; b:\n    print('&amp;')</code></pre>"
    )


def test_fenced_code_block_without_language_is_pre():
    assert html_of("```\nx = 1\n```") == "<pre>x = 1</pre>"


def test_code_block_keeps_markdown_literal():
    html = html_of("```\n# not a heading\n**x** [a](https://b.c)\n```")

    assert html == "<pre># not a heading\n**x** [a](https://b.c)</pre>"


def test_unterminated_code_fence_runs_to_the_end():
    html = html_of("Try this:\n```bash\necho **hi** <there>")

    assert (
        html == 'Try this:\n<pre><code class="language-bash">echo **hi** &lt;there&gt;</code></pre>'
    )


def test_tilde_fence_is_a_code_block():
    assert html_of("~~~\n```\n~~~") == "<pre>```</pre>"


def test_indented_fence_in_a_list_loses_its_indentation():
    html = html_of("- step:\n   ```sh\n   ls -la\n   ```")

    assert html == '• step:\n<pre><code class="language-sh">ls -la</code></pre>'


def test_fence_info_that_is_not_a_language_is_kept_as_text():
    assert html_of('```python title="x.py"\npass\n```') == '<pre>python title="x.py"\npass</pre>'


def test_text_after_a_code_block_is_formatted_again():
    assert html_of("```\ncode\n```\n**done**") == "<pre>code</pre>\n<b>done</b>"


def test_plain_text_keeps_code_block_content():
    assert plain_of("```js\nlet a = 1 < 2\n```") == "let a = 1 < 2"


# --- headings, lists, rules, quotes -----------------------------------------------------------


def test_heading_becomes_a_bold_line():
    assert html_of("## Prices ##\ntext") == "<b>Prices</b>\ntext"


def test_bold_heading_is_not_double_bold():
    assert html_of("# **Prices** *now*") == "<b>Prices <i>now</i></b>"


def test_hashtag_without_space_is_not_a_heading():
    assert html_of("#sale today") == "#sale today"


def test_list_bullets_become_dots():
    html = html_of("- one\n* two\n  + nested *item*")

    assert html == "• one\n• two\n  • nested <i>item</i>"


def test_numbered_list_is_kept_as_text():
    assert html_of("1. **First**\n2. Second") == "1. <b>First</b>\n2. Second"


def test_horizontal_rule_becomes_a_line():
    assert html_of("a\n\n---\n\n* * *") == f"a\n\n{RULE}\n\n{RULE}"


def test_quote_lines_become_one_blockquote():
    html = html_of("> first *line*\n>second\n> > deeper\nafter")

    assert html == "<blockquote>first <i>line</i>\nsecond\ndeeper</blockquote>\nafter"


def test_plain_text_of_a_quote_is_its_lines():
    assert plain_of("> *a*\n> b") == "a\nb"


# --- tables -----------------------------------------------------------------------------------


def test_narrow_table_becomes_an_aligned_grid():
    html = html_of("| Service | Price |\n|:--|--:|\n| Cut | **100** |\n| Dye | 2500 |")

    assert html == ("<pre>Service | Price\n--------+------\nCut     | 100\nDye     | 2500</pre>")


def test_table_rows_with_missing_cells_are_padded():
    assert html_of("a | b\n--|--\n| 1 |") == "<pre>a | b\n--+--\n1</pre>"


def test_table_as_wide_as_the_grid_limit_is_still_a_grid():
    name = "n" * (PRE_TABLE_WIDTH - 4)  # then " | " and a one-letter column: exactly the limit

    html = html_of(f"{name} | p\n--|--\n{name} | 1")

    assert html == f"<pre>{name} | p\n{'-' * len(name)}-+--\n{name} | 1</pre>"


def test_wide_table_becomes_one_line_per_row_with_bold_header():
    wide = "x" * PRE_TABLE_WIDTH
    html = html_of(f"| Name | Note |\n|---|---|\n| *Cut* | {wide} |")

    assert html == f"<b>Name | Note</b>\n<i>Cut</i> | {wide}"


def test_pipe_line_without_separator_is_not_a_table():
    assert html_of("a | b\nc | d") == "a | b\nc | d"
