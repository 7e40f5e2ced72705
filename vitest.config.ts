import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// GPU tests (test/gpu) run on SwiftShader's CPU Vulkan driver (Debian's chromium-common) when no
// Vulkan driver is chosen: point the loader at it unless VK_ICD_FILENAMES is set (set it, even to
// an empty string, to use the system's drivers instead).
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const gpuEnv: Record<string, string> =
  process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD) ? { VK_ICD_FILENAMES: SWIFTSHADER_ICD } : {};

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: gpuEnv,
    globalSetup: ['test/globalSetup.ts'],
  },
});
