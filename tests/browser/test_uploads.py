"""Attachments in the browser: direct upload to the bucket with progress, on a phone."""

from __future__ import annotations

from typing import Any

import pytest
from madoguchi.i18n import translate
from playwright.sync_api import expect

from tests import attachment_samples as samples

pytestmark = pytest.mark.browser


@pytest.mark.usefixtures("hunting_open")
def test_hunting_documents_upload_on_phone(open_page: Any, local_stack: Any) -> None:
    page = open_page("phone")
    # The presigned POST goes to the local AWS endpoint, another origin than the site.
    page.context.route(f"{local_stack.aws_endpoint}/**", lambda route: route.continue_())
    page.goto("/procedures/hunting-licence-exam")
    page.locator("input[name='has_gun_permit'][value='no']").check()
    certificate = page.locator("#field-medical_certificate-wrapper")
    photo = page.locator("#field-photo-wrapper")
    expect(certificate).to_be_visible()

    certificate.locator("input[type='file']").set_input_files(
        {"name": "診断書.pdf", "mimeType": "application/pdf", "buffer": samples.pdf()}
    )
    photo.locator("input[type='file']").set_input_files(
        {"name": "IMG_0001.HEIC", "mimeType": "image/heic", "buffer": samples.heic()}
    )

    accepted = translate("pages.upload_accepted", "ja")
    expect(certificate.locator(".upload-status")).to_have_text(accepted)
    expect(photo.locator(".upload-status")).to_have_text(accepted)
    assert certificate.locator("progress").evaluate("element => element.value") == 100
    assert len(certificate.get_attribute("data-upload-ids").split()) == 1
    assert len(photo.get_attribute("data-upload-ids").split()) == 1


@pytest.mark.usefixtures("hunting_open")
def test_rejected_file_replaced(open_page: Any, local_stack: Any) -> None:
    page = open_page("phone")
    page.context.route(f"{local_stack.aws_endpoint}/**", lambda route: route.continue_())
    page.goto("/procedures/hunting-licence-exam?lang=en")
    photo = page.locator("#field-photo-wrapper")

    photo.locator("input[type='file']").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": samples.HTML}
    )
    expect(photo.locator(".upload-item")).to_have_attribute("data-state", "rejected")
    expect(photo.locator(".upload-status")).to_contain_text("JPEG")
    with page.expect_file_chooser() as chooser:
        photo.get_by_role("button", name=translate("pages.upload_replace", "en")).click()
    chooser.value.set_files({"name": "photo.png", "mimeType": "image/png", "buffer": samples.png()})

    expect(photo.locator(".upload-item")).to_have_attribute("data-state", "accepted")
    assert len(photo.get_attribute("data-upload-ids").split()) == 1
    photo.get_by_role("button", name=translate("pages.upload_remove", "en")).click()
    expect(photo.locator(".upload-item")).to_have_count(0)
    assert photo.get_attribute("data-upload-ids") == ""
