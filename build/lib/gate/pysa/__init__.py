"""Stage 5, Pysa: running the engine on the copy (``driver``) and splitting the copy into independent
components so that an edit re-runs Pysa on its part only (``components``)."""
