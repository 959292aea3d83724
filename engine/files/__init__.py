"""Files people hand to memberflow or take from it: YAML read within a budget, spec files, CSV cells made safe."""
