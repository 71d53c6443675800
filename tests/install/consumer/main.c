/* Loads the model named by argv[1] through the installed C API and renders a second of a sine;
 * exits non-zero if anything fails or the output is silent or not finite. */
#include <math.h>
#include <stdio.h>

#include "nn/namk.h"

int main(int argc, char** argv) {
  static float x[48000], y[48000];
  namk_model* m = NULL;
  if (argc != 2 || namk_load_file(argv[1], &m) != NAMK_OK ||
      namk_prepare(m, namk_sample_rate(m), 512) != NAMK_OK) {
    fprintf(stderr, "consumer: %s\n", namk_last_error());
    return 1;
  }
  for (int t = 0; t < 48000; ++t) x[t] = (float)(0.3 * sin(t * 0.0144));
  const int ok = namk_process(m, x, y, 48000) == NAMK_OK;
  double peak = 0;
  for (int t = 0; t < 48000; ++t) peak = isfinite(y[t]) && peak >= 0 ? fmax(peak, fabs(y[t])) : -1;
  namk_free(m);
  printf("consumer: peak %.4f\n", peak);
  return ok && peak > 1e-3 ? 0 : 1;
}
