"""EEG neurofeedback: headsets, the live feedback engine, recordings and offline analysis.

The domain's files (``models``, ``schemas``, ``service``, ``api``, ``pages``, ``sockets``, ``cli``,
``demo_data``, and the services ``ratings`` and ``series``) sit here; the rest is in four subpackages:

* ``signal`` -- the pure core (DSP, bands, artifacts, protocols, the feedback engine, one training session,
  offline analysis): no web, database or template code;
* ``sources`` -- where EEG comes from (BrainFlow headsets, Lab Streaming Layer, playback, generated EEG);
* ``recording`` -- EDF+ recordings, BIDS export, review;
* ``live`` -- live sessions in the server (the hub, each session's runner, its messages, the broadcast
  channel).

Nothing is imported here, so importing a pure core stays cheap.
"""
