"""Analyses over a case's store: who was in which chat when, the exchanges of flagged media, the
network around an account, media propagation and graph measures.

Every result carries the records behind it (message citations, match ids, the service message or
activity that makes an account a member), so that any conclusion can be checked by a person.
"""
