"""A document's language: its labels (labels.py) and how it writes numbers, money, dates
and plurals (formats.py). Below every stage that prints or reads text for people, and
apart from the spec, which only names the language."""
