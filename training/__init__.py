"""The bundled trainer (no Qt): data, augmentation, hint simulation, losses, loop, export.

It trains the architectures of ``restorer.nets`` and exports into the model registry, so a model a user
fine-tunes on their own collection is used like any bundled one.
"""
