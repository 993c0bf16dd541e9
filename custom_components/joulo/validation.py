"""The schema library of the running Home Assistant.

Home Assistant 2026.10 validates with probatio and makes `voluptuous` an alias of it at run time;
earlier versions use voluptuous itself. Importing through here gives the right one to the type checker
for each version too.
"""

try:
    import probatio as vol
except ImportError:  # Home Assistant before probatio (2026.2 is the oldest we support)
    import voluptuous as vol  # type: ignore[no-redef, unused-ignore]

__all__ = ["vol"]
