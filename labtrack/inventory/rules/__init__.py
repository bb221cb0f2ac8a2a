"""Pure rules of the inventory: what a reagent lot's status may become."""
