"""Industrial chain analysis: bottleneck metrics and labels, disruption simulation,
single points of failure, generic technologies, chain maps and the Willems (2008) importer.

Public API (used by the CLI, the REST API and the dashboard)::

    list_chains(engine) -> list[dict]
    bottlenecks(engine, chain_id, thresholds=None, year=None, region=None) -> Bottlenecks
    simulate(engine, *, remove_country=None, remove_firm=None, remove_region=None,
             remove_item=None, loss_threshold=0.5, year=None) -> Simulation
    single_points_of_failure(engine, chain_id=None, year=None) -> SinglePoints
    generic_technologies(engine) -> GenericTechnologies
    chain_map(engine, chain_id, thresholds=None, year=None, region=None) -> {"nodes": [...], "edges": [...]}
"""

from __future__ import annotations

from reforge.chain.generic import GenericTechnologies, generic_technologies
from reforge.chain.graph import list_chains, load_template
from reforge.chain.mapdata import chain_map
from reforge.chain.metrics import Bottlenecks, bottlenecks
from reforge.chain.simulate import Simulation, simulate
from reforge.chain.spof import SinglePoints, single_points_of_failure
from reforge.chain.thresholds import Thresholds, load_thresholds

__all__ = ["list_chains", "load_template", "bottlenecks", "Bottlenecks", "simulate", "Simulation",
           "single_points_of_failure", "SinglePoints", "generic_technologies", "GenericTechnologies",
           "chain_map", "Thresholds", "load_thresholds"]
