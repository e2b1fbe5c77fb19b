"""API-M 2.x XML files -> hub keys, through the inverted map of the 3.0.0 .j2 templates."""

from k8s_migrate.xml.customisations import Customisation, XmlInputError, XmlResult, xml_customisations

__all__ = ["Customisation", "XmlInputError", "XmlResult", "xml_customisations"]
