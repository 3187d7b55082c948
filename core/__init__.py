"""The shared kernel every app builds on: domain errors, the clock, the REST and HTML
error mappings, Markdown, CSV streaming and SQL dialect helpers. No models, and no
import of any Tandem app."""
