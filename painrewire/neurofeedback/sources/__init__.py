"""Where EEG comes from: the ``Source`` protocol (``base``) and one module per kind of source -- ``brainflow``
(headsets, and BrainFlow's synthetic board), ``lsl`` (Lab Streaming Layer inlets), ``playback`` (recordings at
real speed) and ``synthetic`` (generated EEG, and whole sessions run on it faster than real time)."""
