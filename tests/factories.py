"""Factories that make valid registry data: credit codes and ID numbers carry correct check
characters (SPEC §7)."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from registry.models import (
    CheckItem,
    Conflict,
    Inspector,
    Institution,
    Jurisdiction,
    Practitioner,
    Sector,
    SupervisionRecord,
)
from registry.validators import credit_code_check_char, id_number_check_char


def make_credit_code(sector_code: str, division: str, serial: int) -> str:
    prefix = Sector.CREDIT_PREFIX[sector_code]
    prefix = prefix if len(prefix) == 2 else prefix + "2"
    body = f"{prefix}{division}{serial:09d}"
    return body + credit_code_check_char(body)


def make_id_number(serial: int, birth: str = "19800101", region: str = "500103") -> str:
    body = f"{region}{birth}{serial % 1000:03d}"
    return body + id_number_check_char(body)


PASSWORD = "pw-Secret-123"  # every factory user's password


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)


class JurisdictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("code",)

    code = "500103"
    name = "渝中区"
    level = Jurisdiction.Level.COUNTY


def sector(code: str = "lawyer") -> Sector:
    return Sector.objects.get(code=code)


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    sector = factory.LazyFunction(sector)
    jurisdiction = factory.SubFactory(JurisdictionFactory)
    name = factory.Sequence(lambda n: f"重庆测试{n}律师事务所")
    credit_code = factory.LazyAttributeSequence(
        lambda o, n: make_credit_code(o.sector.code, o.jurisdiction.code, n + 1)
    )
    licence_number = factory.Sequence(lambda n: f"3150020{n:08d}")
    address = "重庆市渝中区解放碑"
    person_in_charge = "张主任"


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"律师{n}")
    certificate_number = factory.Sequence(lambda n: f"1500120{n:010d}")
    id_number = factory.Sequence(make_id_number)
    phone = factory.Sequence(lambda n: f"139{n:08d}")


class InspectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inspector
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"检查员{n}")
    certificate_number = factory.Sequence(lambda n: f"50010300{n:04d}")
    certificate_valid_from = dt.date(2024, 1, 1)
    certificate_valid_to = dt.date(2029, 12, 31)
    issuing_authority = "重庆市人民政府"
    jurisdiction = factory.SubFactory(JurisdictionFactory)

    @factory.post_generation
    def sectors(self, create, extracted, **kwargs):
        if create:
            self.sectors.set(extracted if extracted is not None else [sector("lawyer")])


class CheckItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckItem

    sector = factory.LazyFunction(sector)
    code = factory.Sequence(lambda n: f"LS-{n:03d}")
    name = factory.Sequence(lambda n: f"抽查事项{n}")
    content = "检查执业活动是否合规"
    legal_basis = "《中华人民共和国律师法》第二十三条"
    organizing_body = "渝中区司法局"
    methods = ["on_site"]
    default_ratio = 5


class SupervisionRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionRecord

    institution = factory.SubFactory(InstitutionFactory)
    kind = SupervisionRecord.Kind.COMPLAINT
    date = factory.LazyFunction(dt.date.today)


class ConflictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conflict

    inspector = factory.SubFactory(InspectorFactory)
    institution = factory.SubFactory(InstitutionFactory)
    kind = Conflict.Kind.EMPLOYMENT
