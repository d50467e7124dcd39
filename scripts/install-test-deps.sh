#!/usr/bin/env bash
# Installs the real peers the end-to-end tests drive: SIPp (Debian sip-tester), baresip (baresip-core) and
# dnsmasq (dnsmasq-base, a loopback DNS server for RFC 3263 SRV tests) and kamailio (a registrar).
# Only what is missing is installed; needs root (or sudo) for apt-get.
set -euo pipefail

need=()
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
command -v baresip >/dev/null 2>&1 || need+=(baresip-core)
# dnsmasq: the DNS server of the SRV failover test (bound to 127.0.0.1 only, never forwarding).
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
# kamailio: the registrar of the registration e2e (config in kamailio/, started by the test on loopback).
command -v kamailio >/dev/null 2>&1 || [ -x /usr/sbin/kamailio ] || need+=(kamailio)
[ -f /usr/share/sip-tester/g711a.pcap ] || need+=(sip-tester)
# postgresql: the shared configuration store of the cluster tests (a throwaway cluster made by the test with
# initdb in a temp folder, on loopback; the packaged service is not used).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# openssl makes the TLS test certificates; ip (iproute2) makes the loopback-only network namespaces.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
# python3 runs the README's Python recipe for verifying a signed start (test/helpers/readme-recipes.ts).
command -v python3 >/dev/null 2>&1 || need+=(python3)
# sox/soxi read the recording tests' WAV files; opusdec (opus-tools) decodes their Ogg/Opus files.
command -v soxi >/dev/null 2>&1 || need+=(sox)
command -v opusdec >/dev/null 2>&1 || need+=(opus-tools)
# sipvicious: the scanner (svmap) and digest cracker (svcrack) the SIP guards are tested against (issue #12).
command -v svmap >/dev/null 2>&1 || need+=(sipvicious)
# promtool (Debian prometheus) checks the PromQL of deploy/'s alert rules and dashboard (ops-metrics test).
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# chromium: the headless browser the web console's end-to-end test drives with puppeteer-core (issue #15).
command -v chromium >/dev/null 2>&1 || need+=(chromium)

if [ ${#need[@]} -eq 0 ]; then
  echo "test peers present: $(sipp -v 2>/dev/null | grep -o 'SIPp v[^ ]*' | head -1), baresip $(baresip -h 2>&1 | grep -o 'baresip v[^ ]*' | head -1)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing test peers: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The tests start their own Kamailio on loopback; the packaged system service must not run on 5060.
if [[ " ${need[*]} " == *" kamailio "* ]] && command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now kamailio >/dev/null 2>&1 || true
fi
# Only promtool is wanted from the prometheus package, never its server.
if [[ " ${need[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
if [[ " ${need[*]} " == *" postgresql "* ]] && command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now postgresql >/dev/null 2>&1 || true
fi
command -v sipp >/dev/null && command -v baresip >/dev/null && { command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ]; } \
  && { command -v kamailio >/dev/null || [ -x /usr/sbin/kamailio ]; }
