/**
 * The published J-LIS root certificates (docs/jpki.md §1.1, §2.1, §5): generations 01 (2015)
 * and 03 (2023) of both hierarchies, as J-LIS publishes them (public data; the same files are the
 * test fixtures in test/fixtures/trust/). Embedded as PEM
 * strings so the store stays isomorphic (no file system).
 *
 * Generation 02 (2019, valid to 2029-09-14) is not embedded: the operator installs J-LIS's
 * published file (platform config `jlisRootFiles`), and {@link JpkiTrustStore.production} accepts
 * it only when its SHA-256 is one of {@link JLIS_ROOT_PINS}, compiled in here.
 */
import type { JpkiPurpose } from '../profile/names.ts';

/** A root J-LIS publishes, known by the SHA-256 of its DER (docs/jpki.md §1.1). */
export interface JlisRootPin {
  /** J-LIS file name without `.cer` (`signca02`, …). */
  readonly name: string;
  readonly purpose: JpkiPurpose;
  /** Year of the generation's notBefore. */
  readonly generation: number;
  /** SHA-256 of the DER, lower-case hex. */
  readonly sha256: string;
}

/**
 * Every J-LIS root Watashi will trust in production: an operator-supplied root file is accepted
 * only when its SHA-256 is listed here, so a configuration can add a published generation but
 * never a root of its own. Sources: docs/jpki.md §1.1 (signca01/03, authca01/03 computed from
 * the real files; signca02 from [mynacard-certs]/[zkm-swift] as given in issue 15). authca02
 * (serial 0133C349, 2019-09-14 to 2029-09-14) is absent: no fingerprint from a source we trust
 * was available, and a pin must not be guessed — until it is added, its file is refused
 * (`trust_root_unpinned`).
 */
export const JLIS_ROOT_PINS: ReadonlyArray<JlisRootPin> = [
  {
    name: 'signca01',
    purpose: 'sign',
    generation: 2015,
    sha256: '19645405a1fe14377434bd55957628ac4038557c542403a2243f21c706fc9355',
  },
  {
    name: 'signca02',
    purpose: 'sign',
    generation: 2019,
    sha256: '79679c33e4cc9319440f1ad120a597ff1844e2ef217063adb176966fd5e6fbeb',
  },
  {
    name: 'signca03',
    purpose: 'sign',
    generation: 2023,
    sha256: 'd227f6cde11d35c5252178f106f843d24651944975413b539fa2fb68dbfa365f',
  },
  {
    name: 'authca01',
    purpose: 'auth',
    generation: 2015,
    sha256: '4dcfc4ca0aaf9fb2a3081b3f0c991c320b3acc008667a341eeaec5af1d58ca7d',
  },
  {
    name: 'authca03',
    purpose: 'auth',
    generation: 2023,
    sha256: '64114f29620c24ed2631d46476a040e7ee740d956089c00b036a6a8118c322b5',
  },
];

/** One embedded root: its J-LIS file name, purpose, generation year, PEM and SHA-256 fingerprint. */
export interface JlisRoot {
  readonly name: string;
  readonly purpose: JpkiPurpose;
  readonly generation: number;
  /** SHA-256 of the DER, lower-case hex, as published by J-LIS (docs/jpki.md §1.1). */
  readonly sha256: string;
  readonly pem: string;
}

/** The real J-LIS roots. Expired generations stay: old signatures must remain checkable (§2.1). */
export const JLIS_ROOTS: ReadonlyArray<JlisRoot> = [
  {
    name: 'signca01',
    purpose: 'sign',
    generation: 2015,
    sha256: '19645405a1fe14377434bd55957628ac4038557c542403a2243f21c706fc9355',
    pem: `-----BEGIN CERTIFICATE-----
MIIFETCCA/mgAwIBAgIBATANBgkqhkiG9w0BAQsFADCBgDELMAkGA1UEBhMCSlAx
DTALBgNVBAoMBEpQS0kxIzAhBgNVBAsMGkpQS0kgZm9yIGRpZ2l0YWwgc2lnbmF0
dXJlMT0wOwYDVQQLDDRKYXBhbiBBZ2VuY3kgZm9yIExvY2FsIEF1dGhvcml0eSBJ
bmZvcm1hdGlvbiBTeXN0ZW1zMB4XDTE1MTAyMDAyNDAyOFoXDTI1MTAxOTE0NTk1
OVowgYAxCzAJBgNVBAYTAkpQMQ0wCwYDVQQKDARKUEtJMSMwIQYDVQQLDBpKUEtJ
IGZvciBkaWdpdGFsIHNpZ25hdHVyZTE9MDsGA1UECww0SmFwYW4gQWdlbmN5IGZv
ciBMb2NhbCBBdXRob3JpdHkgSW5mb3JtYXRpb24gU3lzdGVtczCCASIwDQYJKoZI
hvcNAQEBBQADggEPADCCAQoCggEBANfhWTqnpAtEvBNZGuhoXSo5dzJLLhd+XuwN
Ez9VIZkWQbt3u3YmswI2szvojYQybMsLN+13DR9zCAesuSkBe80fyJUMi6brGoVI
z1Q0HhhMLQj5jSnOvvijo4Zrp89i3jl81l0X3942iTg8LyakAsaAHjyNeXCDB3rz
R8/aqXpqX06tQRqIexYuk3JrWKn6TZ0Cy3UukYZDmypL+QaAYj8gIN5/FVPDrowq
eqdI8hysHzzACZbb47E0EMtJhL/3B9X8gyQ2pehsm5bBBYKS6UDp1MjFmLPpV6W2
i7IUS0X+h38aSPwq7K1FxL7XnTqG/lwDYSMzrXAVYWtqquC6KwECAwEAAaOCAZIw
ggGOMA4GA1UdDwEB/wQEAwIBBjCBrgYDVR0RBIGmMIGjpIGgMIGdMQswCQYDVQQG
EwJKUDEnMCUGA1UECgwe5YWs55qE5YCL5Lq66KqN6Ki844K144O844OT44K5MTAw
LgYDVQQLDCflhaznmoTlgIvkurroqo3oqLzjgrXjg7zjg5PjgrnnvbLlkI3nlKgx
MzAxBgNVBAsMKuWcsOaWueWFrOWFseWbo+S9k+aDheWgseOCt+OCueODhuODoOap
n+anizAPBgNVHRMBAf8EBTADAQH/MIGaBgNVHR8EgZIwgY8wgYyggYmggYakgYMw
gYAxCzAJBgNVBAYTAkpQMQ0wCwYDVQQKDARKUEtJMSMwIQYDVQQLDBpKUEtJIGZv
ciBkaWdpdGFsIHNpZ25hdHVyZTE9MDsGA1UECww0SmFwYW4gQWdlbmN5IGZvciBM
b2NhbCBBdXRob3JpdHkgSW5mb3JtYXRpb24gU3lzdGVtczAdBgNVHQ4EFgQUDQNM
uzTQcU9F5Focr9j9FD+rVKcwDQYJKoZIhvcNAQELBQADggEBAJWYNfX827RsgL0q
6MAFfyMq+bUbi9Kz2FJm73u0/lM2Z03d4ZAam7InzwLIHol/vRA1TNbDcPthU7eM
Bu0PcrGfANWykjhvyu8KorM+Rlpc3XNcyljhR96LcTWUTUdMmqH1ZVQNkDJF+ZAT
pxihwvnvKh700JwmrQZ2YySNw/7wulWqais90LGNHIYxYK1IJ5uv2Q18IPUbuzW+
1fwy6UPdA1OBdbdjX9LFCNK8EBSBs5nuelGnltbKIbtFPqfjWSOLib9o1TpTV1wH
rRK542bWqPBKJGUl8hVuzmkYo8Lr9z6lL35N1zWFiNfIHbKraaqmP5zCoz3RmYYW
p0jCbJ8=
-----END CERTIFICATE-----
`,
  },
  {
    name: 'signca03',
    purpose: 'sign',
    generation: 2023,
    sha256: 'd227f6cde11d35c5252178f106f843d24651944975413b539fa2fb68dbfa365f',
    pem: `-----BEGIN CERTIFICATE-----
MIIFFDCCA/ygAwIBAgIEBnxqITANBgkqhkiG9w0BAQsFADCBgDELMAkGA1UEBhMC
SlAxDTALBgNVBAoMBEpQS0kxIzAhBgNVBAsMGkpQS0kgZm9yIGRpZ2l0YWwgc2ln
bmF0dXJlMT0wOwYDVQQLDDRKYXBhbiBBZ2VuY3kgZm9yIExvY2FsIEF1dGhvcml0
eSBJbmZvcm1hdGlvbiBTeXN0ZW1zMB4XDTIzMDcxNjAwNTAyN1oXDTMzMDcxNTE0
NTk1OVowgYAxCzAJBgNVBAYTAkpQMQ0wCwYDVQQKDARKUEtJMSMwIQYDVQQLDBpK
UEtJIGZvciBkaWdpdGFsIHNpZ25hdHVyZTE9MDsGA1UECww0SmFwYW4gQWdlbmN5
IGZvciBMb2NhbCBBdXRob3JpdHkgSW5mb3JtYXRpb24gU3lzdGVtczCCASIwDQYJ
KoZIhvcNAQEBBQADggEPADCCAQoCggEBANi0xL81Wl6UyoSYgP4lRONGzgOoHZLm
hKYn7R78djBrh6ViwZ3UNT2gj1FbApWdPZxyPDG37RXJBzY4qjujYgWG5bDEnkRJ
fMGG+xsuHkQ1zBf2rxSbwmfWjJmD0zriVKUmOJCbzNCZyZt6OreVjQcueeWx5nZY
SzJt8yG6O9GQj+OE0UiN+zweAIfMDnP9kjGIzOG3ZoDnr+3wqv/WPfHkKZKknOl3
oagtasKaHXZmZvmtiEpG1b70P2dlgeywDDpBCyfP+QpR5BrueXnHjvqX7G0uyGiQ
ndL+DAt9cycIQergXIrMdOax2wDP/ZPSe1SR1JIFKPDarfKZZUZ3iUkCAwEAAaOC
AZIwggGOMA4GA1UdDwEB/wQEAwIBBjCBrgYDVR0RBIGmMIGjpIGgMIGdMQswCQYD
VQQGEwJKUDEnMCUGA1UECgwe5YWs55qE5YCL5Lq66KqN6Ki844K144O844OT44K5
MTAwLgYDVQQLDCflhaznmoTlgIvkurroqo3oqLzjgrXjg7zjg5PjgrnnvbLlkI3n
lKgxMzAxBgNVBAsMKuWcsOaWueWFrOWFseWbo+S9k+aDheWgseOCt+OCueODhuOD
oOapn+anizAPBgNVHRMBAf8EBTADAQH/MIGaBgNVHR8EgZIwgY8wgYyggYmggYak
gYMwgYAxCzAJBgNVBAYTAkpQMQ0wCwYDVQQKDARKUEtJMSMwIQYDVQQLDBpKUEtJ
IGZvciBkaWdpdGFsIHNpZ25hdHVyZTE9MDsGA1UECww0SmFwYW4gQWdlbmN5IGZv
ciBMb2NhbCBBdXRob3JpdHkgSW5mb3JtYXRpb24gU3lzdGVtczAdBgNVHQ4EFgQU
0h6lWJVhfpOtv5ZrlBq07fZT8I8wDQYJKoZIhvcNAQELBQADggEBANLq5fwgQlvb
owToAGecatiTa2rSCpRNNibDgNrqgorIvwS1mixEAItJWEpXaWq+3l/mN0cNW9kO
ZsH526Wy9XblvmsQm2CfTB8ltp7kfkiIHIIg3OWnRBbxAd+I6AsvuiE8N3RIZBTK
E5N/08WxlMPd03wkcgiyT6yu/G57tI7oS0e6FDW31BVdS4JyuXWHs78rgrxrGmcT
1L/I6TeG+cQn+MCCMp7TD5GXYtUdrx9Q2mmrSR7wf2ZNHiUtYq9hTkbnF0Mt4BUa
Ew1Bqtch0qlmVQG67YTUerI8rBIsDulJcwzDeVZ5P0UD3TBwLmM9t088Bgrv6is7
dFPT0JEqNwU=
-----END CERTIFICATE-----
`,
  },
  {
    name: 'authca01',
    purpose: 'auth',
    generation: 2015,
    sha256: '4dcfc4ca0aaf9fb2a3081b3f0c991c320b3acc008667a341eeaec5af1d58ca7d',
    pem: `-----BEGIN CERTIFICATE-----
MIIFIDCCBAigAwIBAgIBATANBgkqhkiG9w0BAQsFADCBgjELMAkGA1UEBhMCSlAx
DTALBgNVBAoMBEpQS0kxJTAjBgNVBAsMHEpQS0kgZm9yIHVzZXIgYXV0aGVudGlj
YXRpb24xPTA7BgNVBAsMNEphcGFuIEFnZW5jeSBmb3IgTG9jYWwgQXV0aG9yaXR5
IEluZm9ybWF0aW9uIFN5c3RlbXMwHhcNMTUxMDIwMDMwODEzWhcNMjUxMDE5MTQ1
OTU5WjCBgjELMAkGA1UEBhMCSlAxDTALBgNVBAoMBEpQS0kxJTAjBgNVBAsMHEpQ
S0kgZm9yIHVzZXIgYXV0aGVudGljYXRpb24xPTA7BgNVBAsMNEphcGFuIEFnZW5j
eSBmb3IgTG9jYWwgQXV0aG9yaXR5IEluZm9ybWF0aW9uIFN5c3RlbXMwggEiMA0G
CSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDErMrTwOIy0V7LHYCBttzaAqhetfoo
Jf8F0YMSGVIBnZDzxKz4toNDWY4mN935Uo9saPTsTtsIRed5azFAekE3VhTKSrfh
A39uGssJBUEifqxay3WY8XiAIPE5jB5B8Gc6Ked9GvmzwA7TVNxg5M9q5I0+gxtJ
2ocqMWOI7A8tfL2UpwOqyVYKRZVXjKIkBPIbYrNLdZrAki3FsCCyl7rR47NOt3sL
ZW1oz2fxJUZubD7oAXzKmZhofU9z3KQG6dgTaNzOpnPKhnxbTwXM68zQW52H8oki
r/6gJ23gAr+fR8Z+IMuKkCj7df+7Lv+ab/3ZIncb01+QL5XEgHs7RLrHAgMBAAGj
ggGdMIIBmTAOBgNVHQ8BAf8EBAMCAQYwgbcGA1UdEQSBrzCBrKSBqTCBpjELMAkG
A1UEBhMCSlAxJzAlBgNVBAoMHuWFrOeahOWAi+S6uuiqjeiovOOCteODvOODk+OC
uTE5MDcGA1UECwww5YWs55qE5YCL5Lq66KqN6Ki844K144O844OT44K55Yip55So
6ICF6Ki85piO55SoMTMwMQYDVQQLDCrlnLDmlrnlhazlhbHlm6PkvZPmg4XloLHj
grfjgrnjg4bjg6DmqZ/mp4swDwYDVR0TAQH/BAUwAwEB/zCBnAYDVR0fBIGUMIGR
MIGOoIGLoIGIpIGFMIGCMQswCQYDVQQGEwJKUDENMAsGA1UECgwESlBLSTElMCMG
A1UECwwcSlBLSSBmb3IgdXNlciBhdXRoZW50aWNhdGlvbjE9MDsGA1UECww0SmFw
YW4gQWdlbmN5IGZvciBMb2NhbCBBdXRob3JpdHkgSW5mb3JtYXRpb24gU3lzdGVt
czAdBgNVHQ4EFgQUlWeVG1ynDYSg//HYWofxqrE0A4UwDQYJKoZIhvcNAQELBQAD
ggEBACJnlGS30OV191IiCvFKB2tGFS1Czn56eV4COTzlNr+Ghona96bCy6bCdQvc
RrbOMFK/S71umIO9ITR/eYUHhyt5aJv8wljNGctDUzvOzFvwkDs2HOLfv8n+/L8I
6rRwIozyY58lUzcIFqe/gx0lLupQ9QsM+X/wiA+6oSyV8/yrM+c7aoGKRSQ/PFFV
1nVTS7G6VYDrKOMKsvrh4b5buK3JPk7hc7AqRMx4lFzyJg+tq6Qy62aL4lCoIqKf
mPfp4+GManEfCsDi1JSYpauPmpFMCLM0B8urUUlfDS5W4rtH23D3wcUh1LVI8kMY
nyc4mpKoe5eoqG8eCWkd0lz1ms4=
-----END CERTIFICATE-----
`,
  },
  {
    name: 'authca03',
    purpose: 'auth',
    generation: 2023,
    sha256: '64114f29620c24ed2631d46476a040e7ee740d956089c00b036a6a8118c322b5',
    pem: `-----BEGIN CERTIFICATE-----
MIIFIzCCBAugAwIBAgIEBtGABjANBgkqhkiG9w0BAQsFADCBgjELMAkGA1UEBhMC
SlAxDTALBgNVBAoMBEpQS0kxJTAjBgNVBAsMHEpQS0kgZm9yIHVzZXIgYXV0aGVu
dGljYXRpb24xPTA7BgNVBAsMNEphcGFuIEFnZW5jeSBmb3IgTG9jYWwgQXV0aG9y
aXR5IEluZm9ybWF0aW9uIFN5c3RlbXMwHhcNMjMwNzE2MDEwMTA0WhcNMzMwNzE1
MTQ1OTU5WjCBgjELMAkGA1UEBhMCSlAxDTALBgNVBAoMBEpQS0kxJTAjBgNVBAsM
HEpQS0kgZm9yIHVzZXIgYXV0aGVudGljYXRpb24xPTA7BgNVBAsMNEphcGFuIEFn
ZW5jeSBmb3IgTG9jYWwgQXV0aG9yaXR5IEluZm9ybWF0aW9uIFN5c3RlbXMwggEi
MA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDdxNt+xeqB9O50CBx2IjT3ffw8
G/wOfwQJ2RfPHTuwBoudurxDlvqX5MPWlZpFaKNpbY0oWjOsA4BuLW40bS6BW+zm
dvYIZvtuxKuy5U613FGV0UbM7UT2s4Z/Wk4QJ+B6sFQnnoQlyzbDL3x70GQ+oQMo
8To0sFbqoRWUQAu3QoDUNb/H0/k8PxZwhtUYY2q5kaNbtlI4q+0u+qnQXizXOPx1
PJEvPsv0EQyE0+7aiSZ5kdiuDvZ9VdUXqiJHUnEljCYFRRiRJ4LlugEGwqMVWr0v
U+2UTg+K4vT6ESYxjTAfjgNlR1kWPEs/1UEblqfrJQo/25rTxoQd4/WXyJofAgMB
AAGjggGdMIIBmTAOBgNVHQ8BAf8EBAMCAQYwgbcGA1UdEQSBrzCBrKSBqTCBpjEL
MAkGA1UEBhMCSlAxJzAlBgNVBAoMHuWFrOeahOWAi+S6uuiqjeiovOOCteODvOOD
k+OCuTE5MDcGA1UECwww5YWs55qE5YCL5Lq66KqN6Ki844K144O844OT44K55Yip
55So6ICF6Ki85piO55SoMTMwMQYDVQQLDCrlnLDmlrnlhazlhbHlm6PkvZPmg4Xl
oLHjgrfjgrnjg4bjg6DmqZ/mp4swDwYDVR0TAQH/BAUwAwEB/zCBnAYDVR0fBIGU
MIGRMIGOoIGLoIGIpIGFMIGCMQswCQYDVQQGEwJKUDENMAsGA1UECgwESlBLSTEl
MCMGA1UECwwcSlBLSSBmb3IgdXNlciBhdXRoZW50aWNhdGlvbjE9MDsGA1UECww0
SmFwYW4gQWdlbmN5IGZvciBMb2NhbCBBdXRob3JpdHkgSW5mb3JtYXRpb24gU3lz
dGVtczAdBgNVHQ4EFgQUGsEA9ZajvIxLPfGV4yaZJJ6eMIowDQYJKoZIhvcNAQEL
BQADggEBAHB2MubK1YUwFd6zUQrinYXdkbXKGcm7X7Wfe8bRkxr6PGDeQgWjggCJ
44HrU8UZPAec7oCzqey0wQTqziBVjyd98ntWlVV5SrgXeaWbfgI51MgWs5j3a8hr
CPAwwcRi9XgTFgGvmwjAORrMaNueGkqAK/1YFs9TGuiJxIc8Tm0w/bVGNoS4eJ0u
yamqsLQroA9/pHCkp0AehFv4eonhiP8T3OsaiMG38JCb5a9K7FDfrwd3T4+zjDIb
ecJL+viI0psHWwVmoyBBLXNBMjA5kKIqDYaYo6jsd7yoViTGcDpoYeRynal5yjkG
yXigSal+staD3P6Yf7dJb0HX0gA0KRA=
-----END CERTIFICATE-----
`,
  },
];
