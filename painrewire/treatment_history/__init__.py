"""The patient's treatment history, structured: medicines by class, therapies, injections, surgery, and what helped."""
