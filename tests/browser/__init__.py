"""The browser test: a real Home Assistant's frontend, driven by headless Chromium (scripts/browser_test)."""
