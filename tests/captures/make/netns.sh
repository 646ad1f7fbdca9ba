#!/bin/sh
# Two network namespaces joined by a veth pair: trawl-c (10.10.0.1) and trawl-s (10.10.0.2).
set -e
ip netns add trawl-c 2>/dev/null || true
ip netns add trawl-s 2>/dev/null || true
ip link add vc type veth peer name vs 2>/dev/null || true
ip link set vc netns trawl-c 2>/dev/null || true
ip link set vs netns trawl-s 2>/dev/null || true
ip netns exec trawl-c ip addr add 10.10.0.1/24 dev vc 2>/dev/null || true
ip netns exec trawl-s ip addr add 10.10.0.2/24 dev vs 2>/dev/null || true
ip netns exec trawl-c ip link set vc up
ip netns exec trawl-s ip link set vs up
ip netns exec trawl-c ip link set lo up
ip netns exec trawl-s ip link set lo up
# Offloads off, so captured frames are what went on the wire (no 64 KB GSO super-frames).
ip netns exec trawl-c ethtool -K vc tso off gso off gro off tx off 2>/dev/null || true
ip netns exec trawl-s ethtool -K vs tso off gso off gro off tx off 2>/dev/null || true
