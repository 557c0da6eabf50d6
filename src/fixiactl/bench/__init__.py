"""`fixiactl bench`: load through HAProxy with wrk, two baselines, and a report under var/bench/.

Like the rest of fixiactl it talks to the service only through HTTP, its CLI and SQL of its
own, with one documented exception: the database floor builds the search statement with
`fixia.catalog.search.build_search` (see floor.py).
"""
