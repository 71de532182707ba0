"""The pure core of neurofeedback: arrays in, figures out, no web, database or template code (an import-linter
contract in ``pyproject.toml`` keeps it so).

``validation`` (argument checks), ``bands`` (band definitions), ``dsp`` (Welch PSD, filters), ``artifacts``
(artifact tests, signal check), ``protocols`` (protocols, adaptive threshold), ``loss`` (lost samples, alarm),
``engine`` (``FeedbackEngine``), ``sham`` (reward replay), ``summary`` (``SessionSummary``), ``traces`` (the
console's raw traces), ``load`` (how busy a live loop is), ``nof1`` (n-of-1 block randomisation), ``analysis``
(the ``nfb analyze`` contract) and ``training`` (``TrainingSession``: one session end to end, over any
``sources.base.Source``, recorded by ``recording.recorder``). Nothing is imported here, so importing one
module stays cheap.
"""
