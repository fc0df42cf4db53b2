"""Joint research: consortia of creditworthy key enterprises with universities, institutes and
public platforms; the flow of R&D people inside and outside the system.

Entry points (engine + plain values in, result objects out):

- :func:`personnel_flows` - flow matrices by organisation type and field, the two-way index,
  needed fields with thin flow; :func:`flow_did` - staggered DiD of moves into a field after its
  first platform (the programme date);
- :func:`propose_partners` - a lead enterprise, institutions, a platform and adopters per
  blank/chokepoint/weak item and ``rd`` demand, with every score part explained;
- :func:`platform_report` - platform usage by enterprise size, fields served vs needed,
  generic technologies without a platform;
- :func:`collaboration_network` / :func:`evaluate_links` - the enterprise-institution network and
  out-of-time link prediction.
"""

from reforge.research.flows import flow_did, personnel_flows, two_way_index
from reforge.research.network import collaboration_network, evaluate_links, link_frame, link_scores
from reforge.research.params import ResearchParams, default_params
from reforge.research.partners import propose_partners
from reforge.research.platforms import platform_report
from reforge.research.result import FlowResult, NetworkResult, PartnersResult, PlatformsResult

__all__ = ["FlowResult", "NetworkResult", "PartnersResult", "PlatformsResult", "ResearchParams",
           "collaboration_network", "default_params", "flow_did", "evaluate_links", "link_frame", "link_scores",
           "personnel_flows", "platform_report", "propose_partners", "two_way_index"]
