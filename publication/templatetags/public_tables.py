"""The column heads of the public pages' tables, written once: `{% column_heads _("姓名") … %}`.

The rest of a table stays in its page: the rows are each page's own, and what repeats around them
(`</tbody></table>`, `{% else %}` and the line shown when there are none) is closing HTML that
a wrapping block tag would only hide."""

from django import template

register = template.Library()


@register.inclusion_tag("publication/_column_heads.html")
def column_heads(*labels) -> dict:
    """A table's <thead>, one <th scope="col"> per label. An empty label is a column the page
    leaves out (a draw's "实际抽取" before it is executed) and is skipped."""
    return {"labels": [label for label in labels if label]}
