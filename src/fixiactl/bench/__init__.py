"""`fixiactl bench`: load through HAProxy with wrk, two baselines, and a report under var/bench/.

Like the rest of fixiactl it talks to the service only through HTTP, its CLI and SQL of its
own, with two documented exceptions: the database floor builds the search statement with
`fixia.catalog.search.build_search` (see floor.py), and the judged relevance set runs through
`fixia.catalog.service.search` (see relevance.py).
"""
