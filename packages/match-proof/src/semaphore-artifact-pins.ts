// The Semaphore proving artifacts zkiris trusts, in one place for the registry (Node) and the SDK
// (Node and browsers): this module has no imports, so it is safe in a browser bundle.

/** Version of `@zk-kit/semaphore-artifacts` whose files are pinned below. */
export const SEMAPHORE_ARTIFACTS_VERSION = "4.13.0";

/**
 * SHA-256 (hex) of `semaphore-<depth>.wasm` and `.zkey` of `@zk-kit/semaphore-artifacts@4.13.0`,
 * for tree depths 1 to 32. A file with another hash is refused.
 */
export const SEMAPHORE_ARTIFACT_SHA256: Readonly<
  Record<number, { readonly wasm: string; readonly zkey: string }>
> = Object.freeze({
  1: {
    wasm: "70289ef3bdfa86e97debdb227e76721b392f45b5e73d5e7136d93a04dce0dff9",
    zkey: "471a978875f91411b21ba5a2fbea41df30ec45eb23e3ac045edf7f30a2846a08",
  },
  2: {
    wasm: "877a989a8881ff6651866cfa32088f60e4abcb02a26f2e995868dfabd7f9385b",
    zkey: "110e2d9de78730aa4f5c78c75017cfe4d769b4b7ce60f58484fb14733d7b0f35",
  },
  3: {
    wasm: "48e15502f710be0a623d573d472edeeaf918fd5eee0b2ca9b407c4e4f20d12f2",
    zkey: "c36653c42784df35a01f3d93415af9ad8292a540f8deb134a6a34a01752a89d3",
  },
  4: {
    wasm: "ec0ed0ae7eb0264070b36a247cf4aad8157c5550f0731d3462019526e5e9ae4f",
    zkey: "90c94bad7ad97eeb9314750e443d84da783e38a21f55538d72b10d258064f6e6",
  },
  5: {
    wasm: "74ee373fc66bf81ca89de52602b555f16ef0e54c0e36e5b69c6e109d146acfb5",
    zkey: "a1431c24dc49e98d07d48e7bdacc002875bcb02a799d9156c6aa6bcbe0838926",
  },
  6: {
    wasm: "432293aa5c8e7d503148824ff17a8ad7318058a656af568837f30675d867827e",
    zkey: "24a7ef2c7f4c809a502e876cb3295535a73710ec7bc3827b5a15018e434a674a",
  },
  7: {
    wasm: "3ba75768d5dfbee9d52b732b69eefb1725c8c356a3de9c2f2a71dbc401a0ea61",
    zkey: "d77851ee4bd496c6b5f70fbfa550f113a89bad972efd4c541267e566163d0600",
  },
  8: {
    wasm: "4edc07444a1d48d09014c963e315d3351b6e12838d83fcb1962071614b1c94b9",
    zkey: "d02521afe7133a97421244374d4bc005c1ebd7d7cf7c51e88b7e99fdaf183146",
  },
  9: {
    wasm: "a75f9d92dc826629e3490596ec99055bbecc006050dee6bf8e81b99c9a54f16a",
    zkey: "0eae4df76414b885a2f0793740330de896ab13f07504f97c81b5fe92868ce90e",
  },
  10: {
    wasm: "1e9e1e3ad9917164bc96c751e32fae724400b92063f5a2cfd22ca64674bf4f96",
    zkey: "f644af6753be9d48454d8f9bb74bf2e9a416dd7d1a704c3cf1d50e535969a19a",
  },
  11: {
    wasm: "8261bedcadf797674ebf89fa3ed09e4cd37747bb77c8b21379f9d7c582ed8189",
    zkey: "04d46b1be01a5ff56129318e64f3ec2c833277674a6cb787ca562893de2ec49d",
  },
  12: {
    wasm: "3b7c0b34b00e5c87946d6e1689c05ce75f2dd93618ceb803dd369ff6ad65876e",
    zkey: "3beb3d676455cca9c7c66f34a6147f8ba213b1db1812e2c1be2c00f129477229",
  },
  13: {
    wasm: "517a55315564fc1622aee17df0ec4579aacf7f2c21753887016f728c9ce1596c",
    zkey: "54378ba8d31fff7c89857228cb9dc089e837f6c8b256ab0a1b8c8cdbdcf815f9",
  },
  14: {
    wasm: "7a525e7c179b16731de40f902563200480dce98d7015ddda634de5da344b9f6b",
    zkey: "2e85d8f4a841bc0d1e223316082d3f64c855ff52083a53278dae92f49b54ff9e",
  },
  15: {
    wasm: "d6c588754c6f1af9555cb14bbf01091116c7dbc605adc3cedd4ed644a5800c60",
    zkey: "076f4d7e6e2484f4cd19226b5ef622f36f6de7a99e44570e4b29c9d4fb0dfca0",
  },
  16: {
    wasm: "06df31461d17db86897fc234f0e6e5f5e2f6add1b8c821b5c6ae75030b3e0d7c",
    zkey: "948763c7315a337b7722c0344a28af4be66fbbc618474d6dbe9036e799d1a3b5",
  },
  17: {
    wasm: "c8a9fa66d491cc6a14daba40060d53659c99ca9d9b1277cc48c1a174cb5947c4",
    zkey: "5c750bf1fdec2b1bb4b04f66a4e64c08215c9f3f862ffb3f35de511cc6417112",
  },
  18: {
    wasm: "70e2ac9d915265708742c4d8dbbe20662b22f701d9e78745c5bc2a0262093317",
    zkey: "ef278d79e103d6944be80428ad65acdef22bdd6fe32f95a8f0ed182e1b6601ce",
  },
  19: {
    wasm: "18f939aca1233779a75c8bbfb69f0ffb6a146a88b2c1160cb9265f9357f1a706",
    zkey: "7329ed1332c163788b36da10be73ac3eb004fbf1b8b308e1778cf815dd209e3b",
  },
  20: {
    wasm: "6f71e55586929e520e76027ebe067daac8b41e2f4b8057313a5fd0304e1e44ee",
    zkey: "33f9a067a80c7daf90e085449073613a9559a1904dd40aeb6d603afb7988c2cc",
  },
  21: {
    wasm: "5bb3cb390c6a62c7317c3004d7a8f3fab44bcc4d879d327ec1a26a9e983025b5",
    zkey: "f5c502f249c5b11d8f87889a3c8a42f9b6b6c30ac0d37629c389a15883191793",
  },
  22: {
    wasm: "79d95ebdac70924fff9c507911693cc5f5edc5330a96d86b2123b53f03b58642",
    zkey: "2e5c4eec112cbaab97cb54897aa4640acce0b66a98d5a612840d794403dfdbd7",
  },
  23: {
    wasm: "53a29c9237badd0965a3d0e004dc727a455071ac48f4050c9febcc0a4708725d",
    zkey: "0cc98beaec499a27fb30d94316780ac61ec41e8c6fce4f79fe0af63ba3783621",
  },
  24: {
    wasm: "0ea5d513aaf0c340c5a2bbb1ed60ed6d5843ad162dabcab95dd35c9fb3960b1b",
    zkey: "b02f7c575b5057adf85d2d15f2aa274fd3c964d4ec9f0184d032fec94513263a",
  },
  25: {
    wasm: "2f1b63ecd98acf5b621144e7dceac3c1aaa0f71b58b0d7ac9dd51c9cb6e18143",
    zkey: "61e799d74d3d2628dbf12ed8d50b46b050baf5130b88da36e3b516c7b8b6ce85",
  },
  26: {
    wasm: "29031da511ac66be34f4d215eb836d45961e6ada73676056d60342c78bfe7224",
    zkey: "8c358355090cd238acdd0b519004d84012f8b98a3c017c1926d93be9a0e8d401",
  },
  27: {
    wasm: "6801d5e339e29ff88e886970c162dc75fd59edb5b22b970dafd9f8d7cc680954",
    zkey: "acac2a49f009661188f5374cc8e499ec717b3316e8dc8cce07fe6e0a1c076d37",
  },
  28: {
    wasm: "d32b206277f6c4b64d73a7b0fa9317b3659b25cccb82ad54529f0049d5cb9622",
    zkey: "639dce9a7cb1ad94eeb367ae8cbe72f3a2108198a3458917b266a352885e89ad",
  },
  29: {
    wasm: "43b7015494de8af35e3f8f566fbdc2e21d6900d75fb9c63aa298f8629e466d91",
    zkey: "9d29520b970b9e36df899a83d6ae22411db1c7478ace4ae73a0b7273eb19c11f",
  },
  30: {
    wasm: "f9f7ebeef01bd01dc5fc598afd51e7eea24657f75221a0ab0998d7773820d707",
    zkey: "a4668a81cd85fdbd160befafe9e764ad846704c9b32ba875c1e29da87df4e4b8",
  },
  31: {
    wasm: "8d26ceed0ee85cd427685a302a9346104a32dd7543cc354b77f8c19f5e9a670d",
    zkey: "c36a97eff543ff8df8079f84f9ef38ae078d691aaf1295545b66edc47309ecac",
  },
  32: {
    wasm: "528333d1247f585d33c5a40f46053fb7f8b1f5b8b8fa29118abfc47a60921dc5",
    zkey: "2e5f7a9f880c337134ee4c7fc4e53573813b4c9c6ae46221c0b56e7992304650",
  },
});
