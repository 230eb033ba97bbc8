"""Demo data for skills: the starter framework, whole-course mappings for the demo
catalogue's courses (they have no package), and package mappings for published course
packages. Idempotent; flushes, never commits."""

from __future__ import annotations

from sqlalchemy import select

from lms.catalog.models import Course
from lms.db import db
from lms.publishing.models import CourseVersion
from lms.skills.mapping import sync_course
from lms.skills.models import MappingSource, SkillMapping
from lms.skills.services import get_unit, load_starter

#: Demo catalogue course -> units its completion evidences.
DEMO_MAPPINGS = {
    "python-basics": ["AIF-PY-01", "AIF-NP-01"],
    "data-analysis": ["AIF-PD-01", "AIF-PD-02", "AIF-DQ-01"],
    "ml-intro": ["AIF-ML-01"],
    "deep-learning": ["AIF-ML-01", "SF-QI-05"],
    "factory-vision": ["SF-QI-01", "SF-QI-03"],
    "predictive-maintenance": ["SF-PDM-01", "SF-PDM-03"],
    "vehicle-sensors": ["SM-DRV-01"],
    "autonomous-driving": ["SM-DRV-02", "SM-ETH-01"],
    "chip-basics": ["SEM-WAF-02"],
    "wafer-defects": ["SEM-WAF-01", "SEM-PAT-02"],
    "medical-data": ["SH-VIT-01", "SH-SAF-01"],
    "medical-imaging": ["SH-ECG-02"],
}


def load_skills_demo(counter: list[int], courses: dict[str, Course]) -> None:
    """Load the starter framework and map the demo courses (their completion is the
    evidence: the demo learner's finished python-basics shows as achieved skills)."""
    report = load_starter()
    counter[0] += len(report.created)
    for slug, codes in DEMO_MAPPINGS.items():
        course = courses.get(slug)
        if course is None:
            continue
        for code in codes:
            unit = get_unit(code)
            exists = db.session.scalar(
                select(SkillMapping.id).where(
                    SkillMapping.unit_id == unit.id,
                    SkillMapping.course_id == course.id,
                    SkillMapping.assignment_name == "",
                )
            )
            if exists is None:
                db.session.add(SkillMapping(unit=unit, course=course, source=MappingSource.MANUAL))
                counter[0] += 1
    db.session.flush()
    sync_published()


def sync_published() -> int:
    """Map every published course package's ``[[skills]]`` evidence; returns the count."""
    published = db.session.scalars(
        select(Course).where(Course.id.in_(select(CourseVersion.course_id)))
    )
    return sum(sync_course(None, course).added for course in published)
