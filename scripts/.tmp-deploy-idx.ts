import { deployBasisLocal } from "/work/main/test/indexer/localChain.ts";
const b = await deployBasisLocal("http://127.0.0.1:18545", 60n, "/tmp/idx/deployment.json");
console.log(b.deployment);
process.exit(0);
