"""``{% error_summary form1 form2 … %}``: every error of a page's forms at once, at the top, each
linking to its field (crispy still shows each message beside the field)."""

from django import template

register = template.Library()


@register.inclusion_tag("_form_errors.html")
def error_summary(*forms):
    items = []
    for form in forms:
        if form is None or not form.is_bound:
            continue
        items += [(None, error) for error in form.non_field_errors()]
        for field in form:
            items += [(field, error) for error in field.errors]
    return {"items": items}
