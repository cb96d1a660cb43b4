"""Template filters for `core.admin_names`: a count with the model's name in agreement."""

from django import template

register = template.Library()


@register.filter
def counted_by(count, model_admin) -> str:
    """`{{ cl.result_count|counted_by:cl.model_admin }}`: "1 лид", "2 лида", "5 лидов".

    Admins that declare no names keep Django's wording.
    """
    names = getattr(model_admin, "names", None)
    if names is not None:
        return names.count(count)
    opts = model_admin.opts
    return f"{count} {opts.verbose_name if count == 1 else opts.verbose_name_plural}"
