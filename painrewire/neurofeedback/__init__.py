"""EEG neurofeedback: headsets, the live feedback engine, recordings and offline analysis.

Pure cores (numpy, scipy for filter design; no web, database or device code):
``bands`` (band definitions), ``dsp`` (Welch PSD, filters), ``artifacts`` (artifact tests, signal check),
``protocols`` (protocols, adaptive threshold), ``loss`` (lost samples, alarm), ``engine`` (``FeedbackEngine``),
``sham`` (reward replay), ``summary`` (``SessionSummary``).

Around them: ``acquisition`` (BrainFlow, LSL, playback sources), ``recording`` (EDF+ and BIDS),
``analysis`` (the ``nfb analyze`` contract), ``training`` (``TrainingSession``: one session end to end) and
``cli`` (``painrewire nfb``). Nothing is imported here, so importing a pure core stays cheap.
"""
