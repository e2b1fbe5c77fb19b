"""A Go text/template + Sprig evaluator covering what Helm charts use."""

from .execute import GoObject, Template, strip_no_value
from .functions import FUNCTIONS
from .govalue import TemplateError

__all__ = ["FUNCTIONS", "GoObject", "Template", "TemplateError", "strip_no_value"]
