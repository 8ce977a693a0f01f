"""Start sekmet-fhir with the standard R4 search parameters it lacks for PCO (Goal,
QuestionnaireResponse, Questionnaire, List) registered, to act as a conformant server.

    python tests/server/conformant_sekmet.py PORT   (SEKMET_CONFIG names the settings file)
"""

from __future__ import annotations

import sys

import uvicorn
from sekmet.fhir import search_params

# name:type:element paths[:target] — the R4 definitions of these parameters
STANDARD = {
    "Goal": """
        patient:reference:subject:Patient
        subject:reference:subject
        lifecycle-status:token:lifecycleStatus
        achievement-status:token:achievementStatus
        category:token:category
        target-date:date:target.dueDate
        start-date:date:startDate
        description:token:description
        identifier:token:identifier
    """,
    "QuestionnaireResponse": """
        patient:reference:subject:Patient
        subject:reference:subject
        status:token:status
        authored:date:authored
        questionnaire:uri:questionnaire
        author:reference:author
        identifier:token:identifier
    """,
    "Questionnaire": """
        url:uri:url
        code:token:code
        status:token:status
        name:string:name
    """,
    "List": """
        patient:reference:subject:Patient
        subject:reference:subject
        code:token:code
        status:token:status
    """,
}


def register() -> None:
    for rtype, block in STANDARD.items():
        table = search_params.PARAMS.setdefault(rtype, {})
        for line in block.strip().splitlines():
            bits = line.strip().split(":")
            target = bits[3] if len(bits) > 3 else None
            table[bits[0]] = search_params.SearchParam(
                bits[0], bits[1], tuple(bits[2].split("|")), target
            )


if __name__ == "__main__":
    register()
    uvicorn.run(
        "sekmet.main:app_factory",
        factory=True,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
    )
