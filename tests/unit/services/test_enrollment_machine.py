"""The enrollment state machine on the memory store (SQL stores reuse it elsewhere)."""

from cpnetwork.testing.lifecycle import EnrollmentMachine

TestEnrollmentMachine = EnrollmentMachine.TestCase
