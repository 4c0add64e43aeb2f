"""Text a person wrote, set into the screens' own sentences (issue 12 §11.6: a note that ends in
“。” followed by the sentence's own “。” read “。。”)."""

from django import template

register = template.Library()

# A sentence ends in one of these; the writer's own mark is kept.
SENTENCE_END = "。！？!?.…"
# Punctuation left dangling at the end of a note: replaced by the full stop.
DANGLING = "，,；;、：:"


@register.filter
def sentence(text) -> str:
    """`text` as one sentence: exactly one end mark, “。” unless it has its own (“！”, “？”).
    “范围不清。”, “范围不清” and “范围不清；” all become “范围不清。”."""
    text = str(text or "").strip().rstrip(DANGLING).rstrip()
    if not text:
        return ""
    return text if text[-1] in SENTENCE_END else text + "。"
