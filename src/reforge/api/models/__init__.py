"""Pydantic models of the API's response bodies (the ``response_model`` of every route).

They describe the JSON the capabilities' ``to_dict()`` and the API's queries produce; they never
reshape it: every model allows extra keys (``extra="allow"``), numbers are ``int | float``, and
routes serialise with ``response_model_exclude_unset=True`` so that a declared field the body
does not carry is not added. One module per area: :mod:`.admin`, :mod:`.chains`,
:mod:`.firms`, :mod:`.analysis`.
"""
