from cpnetwork import Network


def test_open_memory_network_has_its_profile(network: Network) -> None:
    assert network.profile.name == "Test Network"
    assert network.profile.timezone == "America/Los_Angeles"
