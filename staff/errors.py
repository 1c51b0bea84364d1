"""The one way a view shows a domain error (a ``ValidationError`` raised by a service) on its forms."""

from django.core.exceptions import ValidationError


def add_domain_errors(exc: ValidationError, *forms) -> None:
    """Puts each message on the first form that has the field it names, the rest on the first form
    as a whole (so nothing a service refused is ever dropped)."""
    first = forms[0]
    if not hasattr(exc, "error_dict"):
        first.add_error(None, exc.messages)
        return
    for field, errors in exc.error_dict.items():
        target = next((form for form in forms if field and field in form.fields), None)
        if target is None:
            first.add_error(None, errors)
        else:
            target.add_error(field, errors)


def add_remaining_errors(exc: ValidationError, *forms) -> None:
    """After the forms refused something, the domain's rules run on what they accepted: add only
    the problems no form has flagged already, so every problem shows once."""
    flagged = {name for form in forms for name in form.errors}
    rest = {field: errors for field, errors in exc.error_dict.items() if field not in flagged}
    if rest:
        add_domain_errors(ValidationError(rest), *forms)
