"""Identity verification of applicants: OpenID Connect (the My Number card through
デジタル認証アプリ or any compliant provider), e-mail one-time codes, and matching of
verified attributes against the answers.

Modules are imported by the functions that need them, so a handler that only
matches names does not load the JOSE library.
"""
